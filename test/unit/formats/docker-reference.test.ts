/** The docker-reference parser behind --identity: distribution/reference's grammar and normalization. */
import { describe, expect, it } from 'vitest';
import { identityFromImageName, normalizeIdentity, parseDockerReference } from '../../../src/formats/docker-reference.js';

describe('parseDockerReference', () => {
  it.each([
    ['app', 'docker.io/library/app'],
    ['app:1.4', 'docker.io/library/app:1.4'],
    ['team/app:1.4', 'docker.io/team/app:1.4'],
    ['index.docker.io/app:1', 'docker.io/library/app:1'],
    ['docker.io/library/app:1.4', 'docker.io/library/app:1.4'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
    ['localhost/app', 'localhost/app'],
    ['registry.example/a/b/c__d/e-f:T_1.x', 'registry.example/a/b/c__d/e-f:T_1.x'],
    ['[::1]:5000/app:1', '[::1]:5000/app:1'],
    [`reg.example/app@sha256:${'a'.repeat(64)}`, `reg.example/app@sha256:${'a'.repeat(64)}`],
  ])('%s → %s', (text, normalized) => {
    expect(parseDockerReference(text).text).toBe(normalized);
  });

  it('splits registry, path and tag', () => {
    expect(parseDockerReference('127.0.0.1:5000/team/app:v1')).toMatchObject({ domain: '127.0.0.1:5000', path: 'team/app', tag: 'v1', name: '127.0.0.1:5000/team/app', hadDomain: true });
    expect(parseDockerReference('app:1').hadDomain).toBe(false);
  });

  it.each([
    ['', /empty/],
    ['Team/App:1', /lower case/],
    ['reg.example/App', /lower case/],
    ['reg.example/app:', /expected/],
    ['reg.example/app:-bad', /expected/],
    ['reg.example/-app', /expected/],
    ['reg.example/app//x', /expected/],
    ['reg.example/a pp', /white space/],
    [`reg.example/app:${'t'.repeat(129)}`, /expected/],
    [`reg.example/${'a'.repeat(250)}`, /longer than 255/],
    ['https://reg.example/app', /expected/],
  ])('refuses %j', (text, why) => {
    expect(() => parseDockerReference(text)).toThrow(expect.objectContaining({ code: 'IDENTITY_INVALID', kind: 'input', message: expect.stringMatching(why) }));
  });
});

describe('identities', () => {
  it('--identity is a repository with an optional tag, normalized', () => {
    expect(normalizeIdentity('app:1.4')).toBe('docker.io/library/app:1.4');
    expect(normalizeIdentity('127.0.0.1:5000/team/app')).toBe('127.0.0.1:5000/team/app');
    expect(() => normalizeIdentity(`reg.example/app@sha256:${'a'.repeat(64)}`)).toThrow(/not a digest/);
  });

  it('an image name is a default identity only when it names its registry', () => {
    expect(identityFromImageName('docker.io/library/app:1.4')).toBe('docker.io/library/app:1.4');
    expect(identityFromImageName('reg.example:5000/team/app:1')).toBe('reg.example:5000/team/app:1');
    expect(identityFromImageName('app:1.4')).toBeUndefined();
    expect(identityFromImageName('Not A Name')).toBeUndefined();
    expect(identityFromImageName(undefined)).toBeUndefined();
    expect(identityFromImageName(`reg.example/app@sha256:${'a'.repeat(64)}`)).toBeUndefined();
  });
});
