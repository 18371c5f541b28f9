/** Docker reference normalisation and the containers/image identity rules, plus the strict simple-signing payload reader. */
import { describe, expect, it } from 'vitest';
import { tryParseDockerReference, type DockerReference } from '../../../src/formats/docker-reference.js';
import { referencesMatch } from '../../../src/verify/reference-match.js';
import { parseSimpleSigningPayload, GPG_SIGNATURE_TYPE } from '../../../src/formats/simple-signing/read-simple-signing-payload.js';

const ref = (text: string): DockerReference => {
  const r = tryParseDockerReference(text);
  if (r === undefined) throw new Error(`invalid ${text}`);
  return r;
};

describe('docker references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox'],
    ['testing/manifest', 'docker.io/testing/manifest'],
    ['docker.io/testing/manifest:latest', 'docker.io/testing/manifest:latest'],
    ['index.docker.io/library/alpine', 'docker.io/library/alpine'],
    ['localhost/app', 'localhost/app'],
    ['192.168.64.2:5000/cosign-signed/key-1', '192.168.64.2:5000/cosign-signed/key-1'],
    ['Registry.Example/app:1.0', 'Registry.Example/app:1.0'],
    [`quay.io/a/b@sha256:${'a'.repeat(64)}`, `quay.io/a/b@sha256:${'a'.repeat(64)}`],
  ])('%s normalises to %s', (input, normalised) => {
    expect(ref(input).text).toBe(normalised);
  });

  it.each(['UPPERCASEISINVALID', 'docker.io/Upper/case', 'a'.repeat(64), 'app:', 'app@sha256:xyz', ''])('refuses %j', (input) => {
    expect(tryParseDockerReference(input)).toBeUndefined();
  });

  it('matching rules as containers/image defines them', () => {
    const digest = `@sha256:${'b'.repeat(64)}`;
    expect(referencesMatch('matchExact', ref('a.io/x:1'), ref('a.io/x:1'))).toBe(true);
    expect(referencesMatch('matchExact', ref('a.io/x'), ref('a.io/x'))).toBe(false); // name-only image
    expect(referencesMatch('matchExact', ref('a.io/x:1'), ref('a.io/x:2'))).toBe(false);
    expect(referencesMatch('matchRepoDigestOrExact', ref(`a.io/x${digest}`), ref('a.io/x:anything'))).toBe(true);
    expect(referencesMatch('matchRepoDigestOrExact', ref('a.io/x:1'), ref('a.io/x:2'))).toBe(false);
    expect(referencesMatch('matchRepoDigestOrExact', ref(`a.io/x:1${digest}`), ref('a.io/x:2'))).toBe(false); // the tag decides
    expect(referencesMatch('matchRepository', ref('a.io/x:1'), ref('a.io/x:2'))).toBe(true);
    expect(referencesMatch('matchRepository', ref('a.io/x:1'), ref('a.io/y:1'))).toBe(false);
    expect(referencesMatch('equal', ref('testing/manifest'), ref('docker.io/testing/manifest'))).toBe(true);
  });
});

describe('simple-signing payloads', () => {
  const good = { critical: { identity: { 'docker-reference': 'a.io/x' }, image: { 'docker-manifest-digest': 'sha256:00' }, type: GPG_SIGNATURE_TYPE }, optional: null };
  const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  it('reads a payload with "optional": null (cosign) and with creator/timestamp', () => {
    expect(parseSimpleSigningPayload(bytes(good), GPG_SIGNATURE_TYPE)).toEqual({ dockerReference: 'a.io/x', dockerManifestDigest: 'sha256:00' });
    expect(parseSimpleSigningPayload(bytes({ ...good, optional: { creator: 'c', timestamp: 5, other: 1 } }), GPG_SIGNATURE_TYPE)).toMatchObject({ creator: 'c', timestamp: 5 });
  });

  it.each([
    ['an extra critical field', { ...good, critical: { ...good.critical, extra: 1 } }, /unexpected field "extra"/],
    ['no optional', { critical: good.critical }, /has no "optional"/],
    ['another type', { ...good, critical: { ...good.critical, type: 'cosign container image signature' } }, /unrecognized signature type/],
    ['a fractional timestamp', { ...good, optional: { timestamp: 1.5 } }, /not an integer/],
    ['a duplicate key', '{"critical":{"identity":{"docker-reference":"a.io/x"},"image":{"docker-manifest-digest":"sha256:00"},"type":"atomic container signature","type":"atomic container signature"},"optional":{}}', /duplicate key "type"/],
  ])('refuses %s', (_name, doc, message) => {
    expect(() => parseSimpleSigningPayload(bytes(doc), GPG_SIGNATURE_TYPE)).toThrow(message);
  });
});
