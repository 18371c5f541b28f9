/**
 * `airsign verify-signature` against the containers/image vectors (test/fixtures/containers-image
 * and test/fixtures/sigstore, byte-for-byte from containers/image): every file reaches the verdict
 * the upstream Go tests assert. Then signatures made by the real gpg (RSA, ECDSA, Ed25519; armored,
 * uncompressed, streamed) over a simple-signing payload, so the OpenPGP reader is proven on output
 * of a tool we did not write.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { sha256Digest } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const CI = join(FIXTURES, 'containers-image');
const SS = join(FIXTURES, 'sigstore');
const KEY_F = '08CD26E446E2E95249B7A405E932F44B23E8DD43';
const work = tempDir('airsign-verify-sig-');

interface Report {
  verdict: string;
  reason: string;
  signer?: string;
  signedReference?: string;
  verified: boolean;
}

function run(args: string[]): { code: number; report?: Report; stderr: string } {
  const r = runCli(['verify-signature', ...args, '--json']);
  return { code: r.code, ...(r.stdout ? { report: JSON.parse(r.stdout) as Report } : {}), stderr: r.stderr };
}

function gpgCase(signature: string, identity: string, options: { keyring?: string; manifest?: string; fingerprints?: string[]; match?: string } = {}) {
  return run([
    '--format', 'gpg',
    '--manifest', join(CI, options.manifest ?? 'image.manifest.json'),
    '--identity', identity,
    '--signature', join(CI, signature),
    '--keyring', join(CI, options.keyring ?? 'gpg/pubring.gpg'),
    ...(options.fingerprints ?? []).flatMap((f) => ['--fingerprint', f]),
    ...(options.match ? ['--match', options.match] : []),
  ]);
}

describe('GPG simple signing: containers/image vectors', () => {
  it('image.signature: valid for testing/manifest and docker.io/testing/manifest, with Key F alone or among others', () => {
    for (const identity of ['testing/manifest', 'docker.io/testing/manifest']) {
      const r = gpgCase('image.signature', identity, { keyring: 'gpg/public-key.gpg', fingerprints: [KEY_F] });
      expect(r.code, identity).toBe(0);
      expect(r.report!.signer).toBe(KEY_F);
    }
    const many = gpgCase('image.signature', 'testing/manifest', { fingerprints: [KEY_F, '0123456789ABCDEF0123456789ABCDEF01234567', 'DEADBEEFDEADBEEFDEADBEEFDEADBEEFDEADBEEF'] });
    expect(many.code).toBe(0);
  });

  it('image.signature: rejected for an unaccepted fingerprint, another reference, other manifest bytes, the schema 1 manifest', () => {
    const notAccepted = gpgCase('image.signature', 'testing/manifest', { fingerprints: ['B9F4CDB9FD8C475BFA340AC38D54A947EE396F36'] });
    expect(notAccepted.code).toBe(1);
    expect(notAccepted.report!.reason).toMatch(/^authenticity: .*not one of the accepted fingerprints/);
    const other = gpgCase('image.signature', 'example.com/does-not/match');
    expect(other.code).toBe(1);
    expect(other.report!.reason).toMatch(/^identity: /);
    const changed = join(work, 'unexpected.manifest');
    writeFileSync(changed, 'unexpected manifest');
    const bytes = run(['--format', 'gpg', '--manifest', changed, '--identity', 'testing/manifest', '--signature', join(CI, 'image.signature'), '--keyring', join(CI, 'gpg/pubring.gpg')]);
    expect(bytes.code).toBe(1);
    expect(bytes.report!.reason).toMatch(/^digest: the signature is for manifest sha256:20bf21ed/);
    const v2s1 = gpgCase('image.signature', 'testing/manifest', { manifest: 'v2s1-invalid-signatures.manifest.json' });
    expect(v2s1.code).toBe(1);
    expect(v2s1.report!.reason).toMatch(/^digest: /);
  });

  it('an invalid expected reference (UPPERCASEISINVALID) is unusable input: exit 2', () => {
    const r = gpgCase('image.signature', 'UPPERCASEISINVALID');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a valid image reference/);
  });

  it('no-optional-fields.signature: valid', () => {
    expect(gpgCase('no-optional-fields.signature', 'testing/manifest', { fingerprints: [KEY_F] }).code).toBe(0);
  });

  it('dir-img-valid/signature-1: valid for testing/manifest:latest under matchExact, rejected for :notlatest', () => {
    expect(gpgCase('dir-img-valid/signature-1', 'testing/manifest:latest', { keyring: 'gpg/public-key.gpg', manifest: 'dir-img-valid/manifest.json', match: 'matchExact' }).code).toBe(0);
    const r = gpgCase('dir-img-valid/signature-1', 'testing/manifest:notlatest', { keyring: 'gpg/public-key.gpg', manifest: 'dir-img-valid/manifest.json', match: 'matchExact' });
    expect(r.code).toBe(1);
    expect(r.report!.reason).toMatch(/^identity: .*does not match "docker.io\/testing\/manifest:notlatest"/);
  });

  it.each([
    ['invalid-blob.signature', /^integrity: the signed content is not a valid signature payload: not JSON/],
    ['corrupt.signature', /^integrity: the signature by key E932F44B23E8DD43 does not verify/],
    ['unknown-key.signature', /^integrity: the signature is by key 5F9470E3BC6C3B55, which is not in the keyring/],
    ['expired.signature', /^integrity: the signature by key E932F44B23E8DD43 expired at 2025-06-24T10:00:00.000Z/],
    ['invalid-reference.signature', /^identity: the signed reference "UPPERCASEISINVALID" is not a valid image reference/],
    ['subkey-revoked.signature', /^integrity: subkey 4D33404E00B470050709F3233EF0F93A1F602997 of key 6D88C5A1993648A17B2BB0DC6B8499AF63388D63 is revoked/],
  ])('%s: rejected', (signature, reason) => {
    const r = gpgCase(signature, 'testing/manifest:latest', { fingerprints: [KEY_F, '6D88C5A1993648A17B2BB0DC6B8499AF63388D63'] });
    expect(r.code).toBe(1);
    expect(r.report!.verdict).toBe('invalid');
    expect(r.report!.reason).toMatch(reason);
  });

  it('subkey.signature: valid, the subkey mapped to its primary, with either key file', () => {
    for (const keyring of ['gpg/public-key-with-subkey.gpg', 'gpg/pubring.gpg']) {
      const r = gpgCase('subkey.signature', 'testing/manifest:latest', { keyring, fingerprints: ['B9F4CDB9FD8C475BFA340AC38D54A947EE396F36'] });
      expect(r.code, keyring).toBe(0);
      expect(r.report!.signer).toBe('B9F4CDB9FD8C475BFA340AC38D54A947EE396F36');
    }
  });

  it('subkey-revoked.signature: rejected even with its own key file', () => {
    const r = gpgCase('subkey-revoked.signature', 'testing/manifest:latest', { keyring: 'gpg/public-key-with-revoked-subkey.gpg' });
    expect(r.code).toBe(1);
    expect(r.report!.reason).toMatch(/revoked/);
  });
});

function cosignCase(dir: string, signature: string, identity: string, keys: string[], match?: string) {
  return run([
    '--format', 'cosign',
    '--manifest', join(SS, dir, 'manifest.json'),
    '--identity', identity,
    '--signature', join(SS, signature),
    ...keys.flatMap((k) => ['--key', join(SS, k)]),
    ...(match ? ['--match', match] : []),
  ]);
}

describe('cosign signatures: containers/image sigstore vectors', () => {
  const IMAGE = '192.168.64.2:5000/cosign-signed-single-sample';

  it('dir-img-cosign-valid: valid with cosign.pub (alone or with cosign2.pub) under matchRepository; rejected with cosign2.pub only', () => {
    expect(cosignCase('dir-img-cosign-valid', 'dir-img-cosign-valid/signature-1', IMAGE, ['cosign.pub'], 'matchRepository').code).toBe(0);
    expect(cosignCase('dir-img-cosign-valid', 'dir-img-cosign-valid/signature-1', IMAGE, ['cosign.pub', 'cosign2.pub'], 'matchRepository').code).toBe(0);
    const wrong = cosignCase('dir-img-cosign-valid', 'dir-img-cosign-valid/signature-1', IMAGE, ['cosign2.pub'], 'matchRepository');
    expect(wrong.code).toBe(1);
    expect(wrong.report!.reason).toMatch(/^integrity: the cosign signature does not verify/);
  });

  it('dir-img-cosign-valid: other identities rejected; matchExact rejects (cosign signs no tag)', () => {
    for (const identity of ['testing/manifest:notlatest', 'this/does-not:match']) {
      const r = cosignCase('dir-img-cosign-valid', 'dir-img-cosign-valid/signature-1', identity, ['cosign.pub'], 'matchRepository');
      expect(r.code, identity).toBe(1);
      expect(r.report!.reason).toMatch(/^identity: /);
    }
    expect(cosignCase('dir-img-cosign-valid', 'dir-img-cosign-valid/signature-1', `${IMAGE}:latest`, ['cosign.pub'], 'matchExact').code).toBe(1);
  });

  it('dir-img-cosign-valid-with-tag: valid for :tag under matchExact, rejected for :othertag', () => {
    expect(cosignCase('dir-img-cosign-valid-with-tag', 'dir-img-cosign-valid-with-tag/signature-1', '192.168.64.2:5000/skopeo-signed:tag', ['cosign.pub'], 'matchExact').code).toBe(0);
    expect(cosignCase('dir-img-cosign-valid-with-tag', 'dir-img-cosign-valid-with-tag/signature-1', '192.168.64.2:5000/skopeo-signed:othertag', ['cosign.pub'], 'matchExact').code).toBe(1);
  });

  it('unknown-cosign-key.signature: rejected', () => {
    const r = cosignCase('dir-img-cosign-valid', 'unknown-cosign-key.signature', IMAGE, ['cosign.pub', 'cosign2.pub'], 'matchRepository');
    expect(r.code).toBe(1);
    expect(r.report!.reason).toMatch(/does not verify with any of the 2 public keys/);
  });

  it('dir-img-cosign-modified-manifest: a good signature over another digest is rejected', () => {
    const r = cosignCase('dir-img-cosign-modified-manifest', 'dir-img-cosign-valid/signature-1', IMAGE, ['cosign.pub'], 'matchRepository');
    expect(r.code).toBe(1);
    expect(r.report!.reason).toMatch(/^digest: .*but the manifest is sha256:d9dcafdb480aa7c475e91737b96925e45844213dcb0290b4a90017459121f71f/);
  });

  it('dir-img-cosign-other-attachment: not a signature, rejected', () => {
    const r = cosignCase('dir-img-cosign-valid', 'dir-img-cosign-other-attachment/signature-1', IMAGE, ['cosign.pub'], 'matchRepository');
    expect(r.code).toBe(1);
    expect(r.report!.reason).toMatch(/it is not a signature/);
  });

  it('dir-img-cosign-key-rekor-valid: valid with cosign2.pub (alone or with cosign.pub); rejected with cosign.pub only', () => {
    const image = '192.168.64.2:5000/cosign-signed/key-1';
    const sig = 'dir-img-cosign-key-rekor-valid/signature-1';
    expect(cosignCase('dir-img-cosign-key-rekor-valid', sig, image, ['cosign2.pub'], 'matchRepository').code).toBe(0);
    expect(cosignCase('dir-img-cosign-key-rekor-valid', sig, image, ['cosign.pub', 'cosign2.pub'], 'matchRepository').code).toBe(0);
    expect(cosignCase('dir-img-cosign-key-rekor-valid', sig, image, ['cosign.pub'], 'matchRepository').code).toBe(1);
  });

  it('unusable input: --keyring with cosign, a missing key file → exit 2', () => {
    const both = run(['--format', 'cosign', '--manifest', join(SS, 'dir-img-cosign-valid/manifest.json'), '--identity', IMAGE, '--signature', join(SS, 'dir-img-cosign-valid/signature-1'), '--keyring', join(CI, 'gpg/pubring.gpg')]);
    expect(both.code).toBe(2);
    const missing = run(['--format', 'cosign', '--manifest', join(SS, 'dir-img-cosign-valid/manifest.json'), '--identity', IMAGE, '--signature', join(SS, 'dir-img-cosign-valid/signature-1'), '--key', join(work, 'nope.pub')]);
    expect(missing.code).toBe(2);
  });
});

describe('GPG signatures made by the real gpg', () => {
  const manifest = readFileSync(join(CI, 'image.manifest.json'));
  const digest = sha256Digest(manifest);
  const payload = JSON.stringify({ critical: { identity: { 'docker-reference': 'registry.example/app:1.0' }, image: { 'docker-manifest-digest': digest }, type: 'atomic container signature' }, optional: { creator: 'test' } });

  it.each([
    ['rsa3072', ['--sign']],
    ['nistp256', ['--sign', '--compress-algo', 'zlib']],
    ['ed25519', ['--sign', '--armor']],
    ['rsa2048', ['--sign', '--compress-algo', 'none']],
  ])('%s key, gpg %s: valid (and, when uncompressed, a changed payload byte is rejected)', (algorithm, signArgs) => {
    const home = gpgHome();
    expect(gpg(home, ['--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', `Test <${algorithm}@example.com>`, algorithm, 'sign', 'never']).code).toBe(0);
    const [fingerprint] = gpgFingerprints(home);
    const keyring = join(work, `${algorithm}.gpg`);
    writeFileSync(keyring, spawnExport(home));
    // stdin input: gpg streams the literal data with partial body lengths
    const signed = spawnSign(home, signArgs, Buffer.from(payload));
    const sigFile = join(work, `${algorithm}.sig`);
    writeFileSync(sigFile, signed);
    const manifestFile = join(work, 'manifest.json');
    writeFileSync(manifestFile, manifest);
    const ok = run(['--format', 'gpg', '--manifest', manifestFile, '--identity', 'registry.example/app:1.0', '--signature', sigFile, '--keyring', keyring]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report!.signer).toBe(fingerprint);
    if (!signArgs.includes('--armor') && signArgs.includes('none')) {
      // uncompressed: the payload is in the clear, so a byte of it can be changed
      const tampered = Buffer.from(signed);
      const at = tampered.indexOf(Buffer.from('registry.example'));
      tampered[at] = 'R'.charCodeAt(0);
      writeFileSync(sigFile, tampered);
      const bad = run(['--format', 'gpg', '--manifest', manifestFile, '--identity', 'registry.example/app:1.0', '--signature', sigFile, '--keyring', keyring]);
      expect(bad.code).toBe(1);
      expect(bad.report!.reason).toMatch(/does not verify/);
    }
  });
});

function spawnExport(home: string): Buffer {
  return spawnSync('gpg', ['--homedir', home, '--batch', '--export']).stdout;
}

function spawnSign(home: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { input });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}
