/** Our cosign payload and `.sig` manifest against a signature real cosign made (containers/image fixture). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descriptorFromBytes } from '../../../src/descriptor.js';
import { buildCosignSigManifest, COSIGN_SIGNATURE_ANNOTATION, cosignSignatureTag, parseCosignSigManifest } from '../../../src/formats/cosign/cosign-sig-manifest.js';
import { cosignSimpleSigningPayload } from '../../../src/formats/cosign/cosign-payload.js';
import { dssePae, publicKeyHint } from '../../../src/formats/cosign/sigstore-bundle.js';
import { ownSignatureVerifies } from '../../../src/formats/check-own-signature.js';
import { MediaType } from '../../../src/media-types.js';
import { createPublicKey } from 'node:crypto';

const FIXTURES = new URL('../../fixtures/cosign/', import.meta.url);
const raw = readFileSync(new URL('dir-img-cosign-valid.signature-1', FIXTURES));
const vector = JSON.parse(raw.subarray(raw.indexOf('\n') + 1).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
const realPayload = Buffer.from(vector.payload, 'base64');
const spki = new Uint8Array(createPublicKey(readFileSync(new URL('cosign.pub', FIXTURES))).export({ format: 'der', type: 'spki' }));

describe('cosign payload', () => {
  it('is byte for byte what cosign wrote for the same identity and digest', () => {
    const parsed = JSON.parse(realPayload.toString('utf8')) as { critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string } } };
    const ours = cosignSimpleSigningPayload(parsed.critical.identity['docker-reference'], parsed.critical.image['docker-manifest-digest'], {});
    expect(Buffer.from(ours).toString('utf8')).toBe(realPayload.toString('utf8'));
  });

  it('the vector signature verifies with our verifier (DER ECDSA over SHA-256), and not over another payload', () => {
    const scheme = { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' } as const;
    const signature = Buffer.from(vector.annotations[COSIGN_SIGNATURE_ANNOTATION]!, 'base64');
    expect(ownSignatureVerifies(spki, realPayload, signature, scheme)).toBe(true);
    expect(ownSignatureVerifies(spki, Buffer.concat([realPayload, Buffer.from(' ')]), signature, scheme)).toBe(false);
  });

  it('a .sig manifest holding the real cosign layer parses, and appending keeps it first', () => {
    const layer = { ...descriptorFromBytes(vector.mimeType, realPayload), annotations: vector.annotations };
    const built = buildCosignSigManifest([layer]);
    const entry = { ...built.descriptor, annotations: { 'org.opencontainers.image.ref.name': cosignSignatureTag(`sha256:${'a'.repeat(64)}`) } };
    expect(parseCosignSigManifest(entry, built.manifestBytes)).toEqual([layer]);
    const extra = { ...descriptorFromBytes(MediaType.CosignSimpleSigning, new TextEncoder().encode('{}')), annotations: { [COSIGN_SIGNATURE_ANNOTATION]: 'AA==' } };
    const appended = buildCosignSigManifest([layer, extra]);
    expect(parseCosignSigManifest({ ...entry, ...appended.descriptor }, appended.manifestBytes).map((l) => l.digest)).toEqual([layer.digest, extra.digest]);
  });

  it('refuses manifests that are not cosign signatures', () => {
    const entry = { mediaType: MediaType.OciManifest, digest: `sha256:${'b'.repeat(64)}`, size: 1 };
    const bad = (text: string) => () => parseCosignSigManifest(entry, new TextEncoder().encode(text));
    const config = `"config":{"mediaType":"${MediaType.OciConfig}","size":2,"digest":"sha256:${'c'.repeat(64)}"}`;
    expect(bad(`{"schemaVersion":2,${config},"layers":[]}`)).toThrow(expect.objectContaining({ code: 'COSIGN_SIG_MANIFEST_INVALID', kind: 'input' }));
    expect(bad(`{"schemaVersion":2,${config},"layers":[{"mediaType":"${MediaType.CosignSimpleSigning}","size":2,"digest":"sha256:${'d'.repeat(64)}"}]}`)).toThrow(/no dev.cosignproject.cosign\/signature/);
    expect(bad(`{"schemaVersion":2,${config},"layers":[{"mediaType":"${MediaType.CosignSimpleSigning}","size":2,"digest":"sha256:${'d'.repeat(64)}","annotations":{"${COSIGN_SIGNATURE_ANNOTATION}":"AA=="}}],"subject":{"mediaType":"${MediaType.OciManifest}","size":2,"digest":"sha256:${'e'.repeat(64)}"}}`)).toThrow(/has a subject/);
    expect(bad('not json')).toThrow(/not valid JSON/);
    expect(() => parseCosignSigManifest({ ...entry, mediaType: MediaType.OciIndex }, new Uint8Array())).toThrow(/media type/);
  });
});

describe('bundle pieces', () => {
  it('DSSE PAE counts bytes, and the hint is base64 sha256 of the SPKI', () => {
    expect(Buffer.from(dssePae('application/vnd.in-toto+json', new TextEncoder().encode('é'))).toString('utf8')).toBe('DSSEv1 28 application/vnd.in-toto+json 2 é');
    expect(publicKeyHint(spki)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});
