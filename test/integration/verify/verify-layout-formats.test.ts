/**
 * `airsign verify` on a layout signed in all five formats (notation, notation-cose, cosign,
 * cosign-bundle, gpg) with one SoftHSM P-256 key: it passes with the public material (a PEM key or
 * the key's pkcs11: URI without a PIN, the OpenPGP keyring and the lookaside, or a containers
 * policy.json), and fails with exit 1 and a reason naming the problem for a wrong key, a wrong
 * identity and a missing signature; missing material is exit 2 with its own code. Tools we did
 * not write agree: skopeo standalone-verify on the GPG signature, @sigstore/verify on the bundle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { verifyBundleWithSigstoreJs } from '../../helpers/cosign-peers.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { readLayoutBlob } from '../../helpers/sign-checks.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const IDENTITY = 'registry.example.com/team/app:1.4';
const ALL_FORMATS = ['notation', 'notation-cose', 'cosign', 'cosign-bundle', 'gpg'];

interface Report {
  verified: boolean;
  identity?: string;
  signatures: Array<{ format: string; signature: string; target?: string; signer?: string; verdict: string; reason: string; checks: Array<{ check: string; result: string; reason?: string }>; warnings: string[] }>;
  requirements: Array<{ format: string; satisfied: boolean; reason: string; policy?: string; requiredBy?: string }>;
}

const work = tempDir('airsign-verify-formats-');
let hsm: SoftHsm;
let chain: TestChain;
let tar: string;
let lookaside: string;
let cosignPub: string;
let otherPub: string;
let keyring: string;
let trustPolicy: string;
let trustStore: string;
let record: SigningRecord;
let keyUri: string;

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'airsign-test', keys: [{ type: 'EC:prime256v1', id: '01', label: 'ec-p256' }, { type: 'rsa:2048', id: '02', label: 'rsa-nopub' }] }]);
  // An RSA key pair whose public object is gone: its public key is read from the private key, after a login.
  execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'airsign-test', '--login', '--pin', hsm.pin, '--delete-object', '--type', 'pubkey', '--label', 'rsa-nopub'], { env: hsm.env, stdio: 'pipe' });
  const publicKeyPem = exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256');
  cosignPub = join(work, 'cosign.pub');
  writeFileSync(cosignPub, publicKeyPem);
  otherPub = join(work, 'other.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(work, 'other.key')]);
  execFileSync('openssl', ['pkey', '-in', join(work, 'other.key'), '-pubout', '-out', otherPub]);
  chain = makeTestChain('ec-p256', { publicKeyPem });
  keyUri = `pkcs11:token=airsign-test;object=ec-p256?module-path=${hsm.module}`;
  const pinFile = join(work, 'pin');
  writeFileSync(pinFile, hsm.pin);
  const signingKey = `${keyUri}&pin-source=file:${pinFile}`;
  keyring = join(work, 'pub.gpg');
  const exported = runCli(['key', 'export', signingKey, '--as', 'openpgp', '--user-id', 'Release <release@example.com>', '-o', keyring], { env: hsm.env });
  expect(exported.code, exported.stderr).toBe(0);

  trustStore = join(work, 'truststore');
  mkdirSync(join(trustStore, 'x509', 'ca', 'test'), { recursive: true });
  copyFileSync(chain.rootPath, join(trustStore, 'x509', 'ca', 'test', 'root.pem'));
  trustPolicy = join(work, 'trustpolicy.json');
  writeFileSync(trustPolicy, JSON.stringify({
    version: '1.0',
    trustPolicies: [{ name: 'app', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }],
  }));

  tar = join(work, 'single.tar');
  copyFileSync(join(SAMPLES, 'single.tar'), tar);
  lookaside = join(work, 'lookaside');
  const signed = runCli(['sign', tar, '--key', signingKey, '--cert', chain.chainPath, '--identity', IDENTITY, '--lookaside', lookaside,
    ...ALL_FORMATS.flatMap((f) => ['--format', f]), '--json'], { env: hsm.env });
  expect(signed.code, signed.stderr).toBe(0);
  record = JSON.parse(signed.stdout) as SigningRecord;
  expect(record.signatures.map((s) => s.format).sort()).toEqual([...ALL_FORMATS].sort());
}, 120_000);

afterAll(() => {
  rmSync(hsm.dir, { recursive: true, force: true });
});

function verify(args: string[], env: NodeJS.ProcessEnv = hsm.env): { code: number; report: Report; stderr: string } {
  const r = runCli(['verify', ...args, '--json'], { env });
  let report = undefined as unknown as Report;
  if (r.code <= 1 && r.stdout !== '') report = JSON.parse(r.stdout) as Report;
  return { code: r.code, report, stderr: r.stderr };
}

const notationArgs = () => ['--trust-policy', trustPolicy, '--trust-store', trustStore];
const gpgArgs = () => ['--keyring', keyring, '--lookaside', lookaside];

describe('a layout signed in all five formats', () => {
  it('passes with every format\'s public material; each signature is valid and names its signer', () => {
    const { code, report, stderr } = verify([tar, '--identity', IDENTITY, ...notationArgs(), '--key', cosignPub, ...gpgArgs()]);
    expect(code, stderr).toBe(0);
    expect(report.verified).toBe(true);
    // Required by the trust material: a Notation signature (--trust-policy), a cosign one, .sig or bundle (--key), a GPG one (--keyring).
    expect(report.requirements.map((r) => [r.format, r.satisfied, r.requiredBy])).toEqual([['notation', true, '--trust-policy'], ['cosign', true, '--key'], ['gpg', true, '--keyring']]);
    // Signatures carry the names sign writes: notation (JWS) and notation-cose.
    expect(report.signatures.map((s) => s.format).sort()).toEqual(['cosign', 'cosign-bundle', 'gpg', 'notation', 'notation-cose']);
    for (const s of report.signatures) {
      expect(s.verdict, `${s.format}: ${s.reason}`).toBe('valid');
      expect(s.target ?? record.signatures[0]!.signedDescriptor.digest).toBe(record.signatures[0]!.signedDescriptor.digest);
    }
    expect(report.signatures.find((s) => s.format === 'cosign')!.signer).toBe(cosignPub);
    const gpgRecord = record.signatures.find((s) => s.format === 'gpg')!;
    expect(report.signatures.find((s) => s.format === 'gpg')!.signer).toBe(gpgRecord.openpgpFingerprint);
    // The bundle names no reference: the identity is reported as not checked, never as passed.
    const bundle = report.signatures.find((s) => s.format === 'cosign-bundle')!;
    expect(bundle.checks.find((c) => c.check === 'identity')!.result).toBe('not-checked');
  });

  it('a stripped tar verifies the same with --stripped: signatures checked, the layers reported as not present', () => {
    const stripped = join(work, 'stripped.tar');
    const strip = runCli(['strip', tar, '--directory', join(work, 'layers'), '--output', stripped]);
    expect(strip.code, strip.stderr).toBe(0);
    const r = verify([stripped, '--stripped', '--identity', IDENTITY, ...notationArgs(), '--key', cosignPub, ...gpgArgs()]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.report as unknown as { integrity: { stripped?: boolean } }).integrity.stripped).toBe(true);
    expect(r.report.requirements.every((q) => q.satisfied)).toBe(true);
    expect((r.report as unknown as { integrity: { notPresent: Array<{ role: string }> } }).integrity.notPresent.map((n) => n.role)).toContain('layer');
  });

  it('--format names what is required (repeatable or comma-separated); without --identity the layout\'s name is never used', () => {
    const r = verify([tar, '--key', cosignPub, '--format', 'cosign', '--format', 'cosign-bundle']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.requirements.map((q) => q.format)).toEqual(['cosign', 'cosign-bundle']);
    expect(r.report.identity).toBeUndefined();
    // cosign verify compares the digest only; without --identity the signed identity is reported as not compared.
    expect(r.report.signatures.find((s) => s.format === 'cosign')!.warnings.join(' ')).toMatch(/identity: not compared \(no --identity given\)/);
    expect(verify([tar, '--key', cosignPub, '--format', 'cosign,cosign-bundle']).report.requirements.map((q) => q.format)).toEqual(['cosign', 'cosign-bundle']);
    // The sample names itself docker.io/library/app:1.4: GPG does not take that, it asks for --identity (exit 2).
    const g = runCli(['verify', tar, ...gpgArgs(), '--format', 'gpg', '--json'], { env: hsm.env });
    expect(g.code).toBe(2);
    expect((JSON.parse(g.stdout) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'IDENTITY_REQUIRED', message: expect.stringMatching(/--identity/) as unknown });
  });

  it('reads the cosign public key from the token by its pkcs11: URI, without a PIN; a key with no public object needs one', () => {
    const env = { ...hsm.env, AIRSIGN_PKCS11_PIN: '', COSIGN_PKCS11_PIN: '' };
    const r = verify([tar, '--identity', IDENTITY, '--key', keyUri, '--format', 'cosign', '--format', 'cosign-bundle'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.signatures.every((s) => s.verdict === 'valid' && s.signer === 'pkcs11:token=airsign-test;object=ec-p256')).toBe(true);
    const noPub = keyUri.replace('object=ec-p256', 'object=rsa-nopub');
    const refused = runCli(['verify', tar, '--key', noPub, '--format', 'cosign', '--json'], { env });
    expect(refused.code).toBe(3);
    expect((JSON.parse(refused.stdout) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'PKCS11_PUBLIC_KEY_NOT_FOUND', message: expect.stringMatching(/give the PIN/) as unknown });
    // With a PIN it is read from the key pair after a login; it did not sign this image, so the verdict says so.
    const pinFile = join(work, 'pin');
    const withPin = verify([tar, '--key', noPub, '--pin-file', pinFile, '--format', 'cosign'], env);
    expect(withPin.code, withPin.stderr).toBe(1);
    expect(withPin.report.requirements[0]!.reason).toMatch(/^integrity: the cosign signature does not verify with the public key/);
    expect(withPin.stderr).not.toContain(hsm.pin);
  });

  it('--keyring cannot be combined with --policy (the policy names the GPG keys)', () => {
    const r = runCli(['verify', tar, '--policy', trustPolicy, '--keyring', keyring, '--json']);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe('USAGE');
  });

  it('a wrong cosign key fails both cosign forms with exit 1, as @sigstore/verify does', () => {
    const r = verify([tar, '--identity', IDENTITY, '--key', otherPub, '--format', 'cosign', '--format', 'cosign-bundle']);
    expect(r.code).toBe(1);
    expect(r.report.verified).toBe(false);
    const reasons = Object.fromEntries(r.report.requirements.map((q) => [q.format, q]));
    expect(reasons.cosign!.satisfied).toBe(false);
    expect(reasons.cosign!.reason).toMatch(/^integrity: the cosign signature does not verify with the public key/);
    expect(reasons['cosign-bundle']!.reason).toMatch(/^integrity: the bundle's DSSE signature does not verify with the public key/);
    // Both keys given: the right one is enough.
    expect(verify([tar, '--identity', IDENTITY, '--key', otherPub, '--key', cosignPub, '--format', 'cosign', '--format', 'cosign-bundle']).code).toBe(0);
    // The peer: @sigstore/verify accepts the bundle with the right key and refuses it with the other.
    const bundleRecord = record.signatures.find((s) => s.format === 'cosign-bundle')!;
    const bundle = readLayoutBlob(tar, bundleRecord.signature.digest);
    expect(verifyBundleWithSigstoreJs(bundle, readFileSync(cosignPub, 'utf8')).statement.subject[0]!.digest.sha256).toBe(bundleRecord.signedDescriptor.digest.slice(7));
    expect(() => verifyBundleWithSigstoreJs(bundle, readFileSync(otherPub, 'utf8'))).toThrow();
  });

  it('a wrong identity: cosign .sig fails on its repository, GPG on the signed reference (skopeo standalone-verify agrees)', () => {
    const other = verify([tar, '--identity', 'registry.example.com/team/other:1.4', '--key', cosignPub, '--format', 'cosign']);
    expect(other.code).toBe(1);
    expect(other.report.requirements[0]!.reason).toMatch(/^identity: the signature is for "registry\.example\.com\/team\/app:1\.4", which does not match "registry\.example\.com\/team\/other:1\.4" under matchRepository/);
    // Same repository, another tag: the GPG signature is found (same lookaside path) but names 1.4.
    const tag = verify([tar, '--identity', 'registry.example.com/team/app:1.5', ...gpgArgs(), '--format', 'gpg']);
    expect(tag.code).toBe(1);
    expect(tag.report.requirements[0]!.reason).toMatch(/^identity: the signature is for "registry\.example\.com\/team\/app:1\.4", which does not match "registry\.example\.com\/team\/app:1\.5" under matchRepoDigestOrExact/);

    const home = gpgHome();
    expect(gpg(home, ['--import', keyring]).code).toBe(0);
    const [fingerprint] = gpgFingerprints(home);
    const manifest = join(work, 'manifest.json');
    const digest = record.signatures[0]!.signedDescriptor.digest;
    writeFileSync(manifest, readLayoutBlob(tar, digest));
    const file = record.signatures.find((s) => s.format === 'gpg')!.file!;
    const skopeo = (identity: string) => spawnSync('skopeo', ['standalone-verify', manifest, identity, fingerprint!, file], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' }).status;
    expect(skopeo(IDENTITY)).toBe(0);
    expect(skopeo('registry.example.com/team/app:1.5')).not.toBe(0);
  });

  it('a missing signature fails with exit 1 naming what is missing', () => {
    const emptyLookaside = join(work, 'empty-lookaside');
    mkdirSync(emptyLookaside, { recursive: true });
    const noGpg = verify([tar, '--identity', IDENTITY, '--keyring', keyring, '--lookaside', emptyLookaside, '--format', 'gpg']);
    expect(noGpg.code).toBe(1);
    expect(noGpg.report.requirements[0]!.reason).toMatch(/^no GPG signature for sha256:[0-9a-f]{64} as registry\.example\.com\/team\/app in the lookaside/);

    // A tar signed with the bundle only, asked for the .sig form too.
    const bundleOnly = join(work, 'bundle-only.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), bundleOnly);
    const signed = runCli(['sign', bundleOnly, '--key', `${keyUri}&pin-value=${hsm.pin}`, '--format', 'cosign-bundle'], { env: hsm.env });
    expect(signed.code, signed.stderr).toBe(0);
    const r = verify([bundleOnly, '--key', cosignPub, '--format', 'cosign', '--format', 'cosign-bundle']);
    expect(r.code).toBe(1);
    expect(r.report.requirements.find((q) => q.format === 'cosign')!.reason).toMatch(/^no cosign \.sig signature \(tag sha256-[0-9a-f]{64}\.sig\) is associated with/);
    expect(r.report.requirements.find((q) => q.format === 'cosign-bundle')!.satisfied).toBe(true);
    // --key alone requires a cosign signature of either form: the bundle holds.
    expect(verify([bundleOnly, '--key', cosignPub]).code).toBe(0);
  });

  it('missing material for a required format is exit 2 with its own code', () => {
    const signedByPolicy = join(work, 'signed-by.json');
    writeFileSync(signedByPolicy, JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring }] }));
    const cases: Array<[string[], string]> = [
      [[tar, '--identity', IDENTITY, ...notationArgs(), '--format', 'cosign'], 'VERIFY_NEEDS_KEY'],
      [[tar], 'VERIFY_NEEDS_INPUT'],
      [[tar, '--format', 'gpg', '--format', 'notation'], 'VERIFY_NEEDS_INPUT'],
      [[tar, '--identity', IDENTITY, '--key', cosignPub, '--lookaside', lookaside, '--format', 'gpg'], 'VERIFY_NEEDS_KEYRING'],
      [[tar, '--identity', IDENTITY, '--keyring', keyring, '--format', 'gpg'], 'VERIFY_NEEDS_LOOKASIDE'],
      [[tar, '--key', cosignPub, '--format', 'cosign', '--format', 'cosign-bundle', '--format', 'notation'], 'VERIFY_NEEDS_TRUST_POLICY'],
      [[tar, '--key', join(work, 'nope.pub'), '--format', 'cosign'], 'INPUT_NOT_FOUND'],
      [[tar, '--identity', IDENTITY, '--policy', signedByPolicy, '--format', 'gpg'], 'VERIFY_NEEDS_LOOKASIDE'],
      [[tar, '--identity', 'not a reference', '--key', cosignPub, '--format', 'cosign'], 'IDENTITY_INVALID'],
    ];
    for (const [args, code] of cases) {
      const r = runCli(['verify', ...args, '--json'], { env: hsm.env });
      expect(r.code, `${code}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code, r.stdout).toBe(code);
    }
    // Every missing input in one message, and as option fields in the details.
    const all = runCli(['verify', tar, '--format', 'gpg', '--format', 'notation', '--json']);
    const error = (JSON.parse(all.stdout) as { error: { message: string; details: { missing: string[] } } }).error;
    expect(error.details.missing).toEqual(['trustPolicy', 'keyring', 'lookaside', 'identity']);
    for (const flag of ['--trust-policy', '--keyring', '--lookaside', '--identity']) expect(error.message).toContain(flag);
  });
});

describe('with a containers policy.json', () => {
  function policy(name: string, docker: Record<string, unknown[]>): string {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker } }));
    return path;
  }

  it('signedBy (GPG from the lookaside) and sigstoreSigned (cosign .sig) for the identity\'s scope: passes', () => {
    const p = policy('good', {
      'registry.example.com/team': [
        { type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring },
        { type: 'sigstoreSigned', keyPath: cosignPub, signedIdentity: { type: 'matchRepository' } },
      ],
    });
    const r = verify([tar, '--identity', IDENTITY, '--policy', p, '--lookaside', lookaside, '--format', 'gpg', '--format', 'cosign']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.requirements.map((q) => [q.format, q.satisfied, q.policy])).toEqual([
      ['gpg', true, `${p} scope registry.example.com/team: signedBy`],
      ['cosign', true, `${p} scope registry.example.com/team: sigstoreSigned`],
    ]);
    // Everything at once: Notation by its trust policy, the bundle by --key, the rest by the policy.
    expect(verify([tar, '--identity', IDENTITY, '--policy', p, '--lookaside', lookaside, '--key', cosignPub, ...notationArgs()]).code).toBe(0);
  });

  it('the wrong key in signedBy, an exactReference to another tag, and reject fail with the policy\'s reason', () => {
    const otherHome = gpgHome();
    expect(gpg(otherHome, ['--quick-gen-key', '--passphrase', '', 'Other <other@example.com>', 'ed25519', 'sign', '1d']).code).toBe(0);
    const otherKeyring = join(work, 'other.gpg');
    writeFileSync(otherKeyring, execFileSync('gpg', ['--homedir', otherHome, '--export'], { env: { ...process.env, LC_ALL: 'C' } }));
    const wrongKey = policy('wrong-key', { 'registry.example.com': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: otherKeyring }] });
    const a = verify([tar, '--identity', IDENTITY, '--policy', wrongKey, '--lookaside', lookaside, '--format', 'gpg']);
    expect(a.code).toBe(1);
    expect(a.report.requirements[0]!.reason).toMatch(/^integrity: .*(unknown|not in the keyring|no key)/i);

    const exact = policy('exact', { [IDENTITY]: [{ type: 'sigstoreSigned', keyPath: cosignPub, signedIdentity: { type: 'exactReference', dockerReference: 'registry.example.com/team/app:2.0' } }] });
    const b = verify([tar, '--identity', IDENTITY, '--policy', exact, '--format', 'cosign']);
    expect(b.code).toBe(1);
    expect(b.report.requirements[0]!.reason).toMatch(/^identity: the signature is for "registry\.example\.com\/team\/app:1\.4", which does not match .* under signedIdentity exactReference registry\.example\.com\/team\/app:2\.0/);

    const reject = policy('reject', {});
    const c = verify([tar, '--identity', IDENTITY, '--policy', reject, '--format', 'cosign']);
    expect(c.code).toBe(1);
    expect(c.report.requirements[0]).toMatchObject({ format: 'containers-policy', satisfied: false, reason: `the policy rejects every image in scope default (the identity used: ${IDENTITY})` });

    // Nothing to find: the reason says where the signatures were looked for.
    const both = policy('both', { 'registry.example.com': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyring }, { type: 'sigstoreSigned', keyPath: cosignPub }] });
    const emptyLookaside = join(work, 'policy-empty-lookaside');
    const d = verify([join(SAMPLES, 'single.tar'), '--identity', IDENTITY, '--policy', both, '--lookaside', emptyLookaside]);
    expect(d.code).toBe(1);
    expect(d.report.requirements.map((q) => q.reason)).toEqual([
      `a GPG signature is required, but none was found (no signature-1 in ${join(emptyLookaside, 'team', `app@${record.signatures[0]!.signedDescriptor.digest.replace(':', '=')}`)})`,
      `a cosign signature is required, but none was found (no ${record.signatures[0]!.signedDescriptor.digest.replace(':', '-')}.sig tag in the layout)`,
    ]);

    const accept = policy('accept', { 'registry.example.com': [{ type: 'insecureAcceptAnything' }] });
    expect(verify([tar, '--identity', IDENTITY, '--policy', accept]).code).toBe(0);
    // --format cosign requires a valid cosign signature, which a scope that checks none cannot give.
    const accepted = verify([tar, '--identity', IDENTITY, '--policy', accept, '--format', 'cosign']);
    expect(accepted.code).toBe(1);
    expect(accepted.report.requirements.find((q) => q.format === 'cosign')!.reason).toMatch(/^--format cosign requires a cosign signature, and the policy's scope registry\.example\.com/);
  });
});

describe('the library takes the trust material as parsed objects (no files for it)', () => {
  it('keyring bytes and a containers policy object (keyData) verify as the files do; the wrong keyring bytes fail', async () => {
    const { verifyLayout } = await import('../../../src/operations/verify.js');
    const keyringBytes = new Uint8Array(readFileSync(keyring));
    const gpgReport = await verifyLayout(tar, { identity: IDENTITY, keyring: keyringBytes, lookaside });
    expect(gpgReport.requirements.map((r) => [r.format, r.satisfied, r.requiredBy])).toEqual([['gpg', true, '--keyring']]);
    expect(gpgReport.verified).toBe(true);

    const otherHome = gpgHome();
    expect(gpg(otherHome, ['--quick-gen-key', '--passphrase', '', 'Other <other@example.com>', 'ed25519', 'sign', '1d']).code).toBe(0);
    const otherBytes = new Uint8Array(execFileSync('gpg', ['--homedir', otherHome, '--export'], { env: { ...process.env, LC_ALL: 'C' } }));
    const wrong = await verifyLayout(tar, { identity: IDENTITY, keyring: otherBytes, lookaside });
    expect(wrong.verified).toBe(false);
    expect(wrong.signatures.map((s) => [s.format, s.verdict])).toEqual([['gpg', 'invalid']]);

    const policy = {
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          'registry.example.com/team': [
            { type: 'signedBy', keyType: 'GPGKeys', keyData: Buffer.from(keyringBytes).toString('base64') },
            { type: 'sigstoreSigned', keyData: Buffer.from(readFileSync(cosignPub)).toString('base64'), signedIdentity: { type: 'matchRepository' } },
          ],
        },
      },
    };
    const byPolicy = await verifyLayout(tar, { identity: IDENTITY, policy, lookaside, formats: ['gpg', 'cosign'] });
    expect(byPolicy.requirements.map((r) => [r.format, r.satisfied, r.policy])).toEqual([
      ['gpg', true, 'policy.json scope registry.example.com/team: signedBy'],
      ['cosign', true, 'policy.json scope registry.example.com/team: sigstoreSigned'],
    ]);
    expect(byPolicy.verified).toBe(true);
    const rejecting = await verifyLayout(tar, { identity: IDENTITY, policy: { default: [{ type: 'reject' }] }, lookaside });
    expect(rejecting.verified).toBe(false);
    expect(rejecting.requirements[0]).toMatchObject({ format: 'containers-policy', satisfied: false });
  });
});
