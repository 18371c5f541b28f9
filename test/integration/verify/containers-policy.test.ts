/**
 * `verify-signature --policy policy.json`: containers policies (signedBy, sigstoreSigned with and
 * without a Rekor key, signedIdentity rules, scopes, reject/insecureAcceptAnything) decided the way
 * the containers/image policy tests decide them for the same fixtures.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const CI = join(FIXTURES, 'containers-image');
const SS = join(FIXTURES, 'sigstore');
const work = tempDir('airsign-policy-');

let n = 0;
function policyFile(doc: unknown): string {
  const path = join(work, `policy-${n++}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

interface Report {
  verified: boolean;
  reason?: string;
  policy: { scope: string; requirements: Array<{ type: string; satisfied: boolean; reason: string }> };
}

function run(format: string, manifest: string, signature: string, identity: string, policy: string): { code: number; report?: Report; stderr: string } {
  const r = runCli(['verify-signature', '--format', format, '--manifest', manifest, '--signature', signature, '--identity', identity, '--policy', policy, '--json']);
  return { code: r.code, ...(r.stdout ? { report: JSON.parse(r.stdout) as Report } : {}), stderr: r.stderr };
}

const reject = [{ type: 'reject' }];
const gpgPolicy = (signedIdentity: unknown, keyPath = join(CI, 'gpg/public-key.gpg')) => policyFile({
  default: reject,
  transports: { docker: { 'docker.io/testing/manifest': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath, ...(signedIdentity ? { signedIdentity } : {}) }] } },
});

describe('signedBy (GPG) with signedIdentity rules', () => {
  const manifest = join(CI, 'dir-img-valid/manifest.json');
  const sig = join(CI, 'dir-img-valid/signature-1');

  it('matchExact: accepts testing/manifest:latest, rejects :notlatest (upstream dir-img-valid test)', () => {
    const p = gpgPolicy({ type: 'matchExact' });
    expect(run('gpg', manifest, sig, 'testing/manifest:latest', p).code).toBe(0);
    const bad = run('gpg', manifest, sig, 'testing/manifest:notlatest', p);
    expect(bad.code).toBe(1);
    expect(bad.report!.policy.requirements[0]!.reason).toMatch(/^identity: /);
  });

  it('default matchRepoDigestOrExact; matchRepository; exactReference; exactRepository; remapIdentity', () => {
    expect(run('gpg', manifest, sig, 'testing/manifest:latest', gpgPolicy(undefined)).code).toBe(0);
    expect(run('gpg', manifest, sig, 'testing/manifest:other', gpgPolicy({ type: 'matchRepository' })).code).toBe(0);
    expect(run('gpg', manifest, sig, 'testing/manifest:other', gpgPolicy({ type: 'exactReference', dockerReference: 'docker.io/testing/manifest:latest' })).code).toBe(0);
    expect(run('gpg', manifest, sig, 'testing/manifest:other', gpgPolicy({ type: 'exactReference', dockerReference: 'docker.io/testing/manifest:v2' })).code).toBe(1);
    expect(run('gpg', manifest, sig, 'testing/manifest:x', gpgPolicy({ type: 'exactRepository', dockerRepository: 'docker.io/testing/manifest' })).code).toBe(0);
    // A mirror: the image is known as mirror.example/testing/manifest, signed as docker.io/testing/manifest.
    const remap = policyFile({ default: reject, transports: { docker: { 'mirror.example': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: join(CI, 'gpg/public-key.gpg'), signedIdentity: { type: 'remapIdentity', prefix: 'mirror.example', signedPrefix: 'docker.io' } }] } } });
    expect(run('gpg', manifest, sig, 'mirror.example/testing/manifest:latest', remap).code).toBe(0);
    expect(run('gpg', manifest, sig, 'mirror.example/testing/manifest:notlatest', remap).code).toBe(1);
  });

  it('a signature by a key the policy does not name is rejected; an out-of-scope image meets the default reject', () => {
    expect(run('gpg', manifest, sig, 'testing/manifest:latest', gpgPolicy({ type: 'matchExact' }, join(CI, 'gpg/public-key-with-subkey.gpg'))).code).toBe(1);
    const other = run('gpg', manifest, sig, 'other.example/app:latest', gpgPolicy({ type: 'matchExact' }));
    expect(other.code).toBe(1);
    expect(other.report!.policy.scope).toBe('default');
    expect(other.report!.policy.requirements[0]!.type).toBe('reject');
  });

  it('insecureAcceptAnything accepts; a cosign-only requirement rejects a GPG signature', () => {
    const anything = policyFile({ default: [{ type: 'insecureAcceptAnything' }] });
    expect(run('gpg', manifest, sig, 'testing/manifest:latest', anything).code).toBe(0);
    const cosignOnly = policyFile({ default: [{ type: 'sigstoreSigned', keyPath: join(SS, 'cosign.pub') }] });
    const r = run('gpg', manifest, sig, 'testing/manifest:latest', cosignOnly);
    expect(r.code).toBe(1);
    expect(r.report!.policy.requirements[0]!.reason).toMatch(/a cosign signature is required, but none was given/);
  });
});

describe('sigstoreSigned (cosign)', () => {
  it('dir-img-cosign-valid with matchRepository: valid; cosign2.pub: rejected', () => {
    const p = (key: string) => policyFile({ default: [{ type: 'sigstoreSigned', keyPath: join(SS, key), signedIdentity: { type: 'matchRepository' } }] });
    const args = ['cosign', join(SS, 'dir-img-cosign-valid/manifest.json'), join(SS, 'dir-img-cosign-valid/signature-1'), '192.168.64.2:5000/cosign-signed-single-sample:latest'] as const;
    expect(run(...args, p('cosign.pub')).code).toBe(0);
    expect(run(...args, p('cosign2.pub')).code).toBe(1);
  });

  it('dir-img-cosign-key-rekor-valid: valid with the Rekor key; a wrong Rekor key (cosign.pub) rejects; a bundle-less signature under a Rekor key rejects', () => {
    const p = (rekor: string) => policyFile({ default: [{ type: 'sigstoreSigned', keyPaths: [join(SS, 'cosign2.pub'), join(SS, 'cosign.pub')], rekorPublicKeyPath: join(SS, rekor), signedIdentity: { type: 'matchRepository' } }] });
    const manifest = join(SS, 'dir-img-cosign-key-rekor-valid/manifest.json');
    const sig = join(SS, 'dir-img-cosign-key-rekor-valid/signature-1');
    expect(run('cosign', manifest, sig, '192.168.64.2:5000/cosign-signed/key-1', p('rekor.pub')).code).toBe(0);
    const wrong = run('cosign', manifest, sig, '192.168.64.2:5000/cosign-signed/key-1', p('cosign.pub'));
    expect(wrong.code).toBe(1);
    expect(wrong.report!.policy.requirements[0]!.reason).toMatch(/SignedEntryTimestamp does not verify/);
    const noBundle = run('cosign', join(SS, 'dir-img-cosign-valid/manifest.json'), join(SS, 'dir-img-cosign-valid/signature-1'), '192.168.64.2:5000/cosign-signed-single-sample', p('rekor.pub'));
    expect(noBundle.code).toBe(1);
    expect(noBundle.report!.policy.requirements[0]!.reason).toMatch(/no dev.sigstore.cosign\/bundle annotation/);
  });
});

describe('policy input errors (exit 2)', () => {
  it.each([
    ['an unknown requirement', { default: [{ type: 'trustMe' }] }, /unknown requirement type "trustMe"/],
    ['signedBy without keys', { default: [{ type: 'signedBy', keyType: 'GPGKeys' }] }, /keyPath, keyPaths and keyData/],
    ['a bad keyType', { default: [{ type: 'signedBy', keyType: 'X509Certificate', keyPath: '/x' }] }, /keyType/],
    ['an empty default', { default: [] }, /non-empty array/],
    ['exactReference without a tag', { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: join(CI, 'gpg/public-key.gpg'), signedIdentity: { type: 'exactReference', dockerReference: 'a.io/b' } }] }, /tag or digest/],
  ])('%s', (_name, doc, message) => {
    const r = run('gpg', join(CI, 'image.manifest.json'), join(CI, 'image.signature'), 'testing/manifest', policyFile(doc));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--keyring with --policy is a usage error', () => {
    const r = runCli(['verify-signature', '--format', 'gpg', '--manifest', join(CI, 'image.manifest.json'), '--signature', join(CI, 'image.signature'), '--identity', 'testing/manifest',
      '--policy', policyFile({ default: reject }), '--keyring', join(CI, 'gpg/pubring.gpg')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be combined with --policy/);
  });
});
