/**
 * `airsign sign --format gpg` with SoftHSM P-256, RSA-3072 and Ed25519 keys and a file key:
 * `skopeo standalone-verify` (c/image's GPG simple signing through gpgme) accepts each signature
 * with a keyring holding only the public key `airsign key export --as openpgp` wrote, and rejects
 * another identity; `gpg --verify` agrees. The tar is left as it is, a second run takes
 * signature-2, and `--recursive` with Notation + GPG signs the index and each platform manifest in
 * both formats with one HSM login.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningRecord } from '../../../src/signing-record.js';
import { cliCommand, runCli } from '../../helpers/cli.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { readLayoutBlob, readLayoutIndex, runCliTimed, verifyWithPython } from '../../helpers/sign-checks.js';
import { makeTestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, type SoftHsm } from '../../helpers/softhsm.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const IDENTITY = 'registry.example.com/team/app:1.4';
let hsm: SoftHsm;
const work = tempDir('airsign-gpg-sign-');
let pinFile: string;

beforeAll(() => {
  hsm = createSoftHsm();
  pinFile = join(work, 'pin');
  writeFileSync(pinFile, hsm.pin);
});
afterAll(() => {
  rmSync(hsm.dir, { recursive: true, force: true });
});

function hsmKey(label: string, pinQuery = `pin-source=file:${pinFile}`): string {
  return `pkcs11:token=airsign-test;object=${label}?module-path=${hsm.module}&${pinQuery}`;
}

/** A GNUPGHOME holding only the public key airsign exports for `key`; returns the home and fingerprint. */
function keyringFor(key: string, dir: string): { home: string; fingerprint: string; publicKeyPath: string } {
  const publicKeyPath = join(dir, 'pub.gpg');
  const exported = runCli(['key', 'export', key, '--as', 'openpgp', '--user-id', 'Release <release@example.com>', '-o', publicKeyPath], { env: hsm.env });
  expect(exported.code, exported.stderr).toBe(0);
  const home = gpgHome();
  expect(gpg(home, ['--import', publicKeyPath]).code).toBe(0);
  const [fingerprint] = gpgFingerprints(home);
  return { home, fingerprint: fingerprint!, publicKeyPath };
}

function standaloneVerify(home: string, manifest: string, identity: string, fingerprint: string, signature: string) {
  const r = spawnSync('skopeo', ['standalone-verify', manifest, identity, fingerprint, signature], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function lookasideFiles(base: string): string[] {
  if (!existsSync(base)) return [];
  return (readdirSync(base, { recursive: true }) as string[]).filter((p) => /signature-\d+$/.test(p) || p.includes('.tmp')).sort();
}

const CASES = [
  { name: 'SoftHSM P-256', key: () => hsmKey('ec-p256'), algorithm: 'OpenPGP ECDSA P-256 SHA-256', gpgAlgo: 'ECDSA' },
  { name: 'SoftHSM RSA-3072', key: () => hsmKey('rsa-3072'), algorithm: 'OpenPGP RSA SHA-384', gpgAlgo: 'RSA' },
  { name: 'SoftHSM Ed25519', key: () => hsmKey('ed25519'), algorithm: 'OpenPGP EdDSA Ed25519 SHA-512', gpgAlgo: 'EDDSA' },
  {
    name: 'file key (P-384)',
    key: () => {
      const path = join(work, 'file-key.pem');
      if (!existsSync(path)) execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', path], { stdio: 'pipe' });
      return path;
    },
    algorithm: 'OpenPGP ECDSA P-384 SHA-384',
    gpgAlgo: 'ECDSA',
  },
];

describe.each(CASES)('$name', ({ name, key, algorithm, gpgAlgo }) => {
  it('skopeo standalone-verify and gpg --verify accept it; another identity is rejected; the tar is untouched', () => {
    const dir = join(work, name.replace(/\W+/g, '-'));
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const before = sha256File(input);
    const lookaside = join(dir, 'lookaside');
    const spec = key();
    const r = runCli(['sign', input, '--key', spec, '--format', 'gpg', '--identity', IDENTITY, '--lookaside', lookaside, '--json'], { env: hsm.env });
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(input)).toBe(before);
    const record = JSON.parse(r.stdout) as SigningRecord;
    expect(record.identity).toBe(IDENTITY);
    const [s] = record.signatures;
    const digest = readLayoutIndex(input).manifests[0]!.digest;
    const hex = digest.slice('sha256:'.length);
    expect(s).toMatchObject({ format: 'gpg', algorithm, identity: IDENTITY, file: join(lookaside, 'team', `app@sha256=${hex}`, 'signature-1') });
    expect(s!.signedDescriptor.digest).toBe(digest);
    expect(lookasideFiles(lookaside)).toEqual([join('team', `app@sha256=${hex}`, 'signature-1')]);

    const { home, fingerprint } = keyringFor(spec, dir);
    expect(s!.openpgpFingerprint).toBe(fingerprint);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, readLayoutBlob(input, digest));
    const accepted = standaloneVerify(home, manifest, IDENTITY, fingerprint, s!.file!);
    expect(accepted.out).toContain(`Signature verified, digest ${digest}`);
    expect(accepted.code).toBe(0);
    // Another identity (same repository, another tag) is rejected.
    const other = standaloneVerify(home, manifest, 'registry.example.com/team/app:1.5', fingerprint, s!.file!);
    expect(other.code).not.toBe(0);
    expect(other.out).toContain('does not match');
    // Another manifest is refused.
    writeFileSync(join(dir, 'other.json'), '{}');
    expect(standaloneVerify(home, join(dir, 'other.json'), IDENTITY, fingerprint, s!.file!).code).not.toBe(0);

    const verified = gpg(home, ['--status-fd', '1', '--verify', s!.file!]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`[GNUPG:] VALIDSIG ${fingerprint}`);
    expect(verified.stderr).toMatch(new RegExp(`using ${gpgAlgo} key ${fingerprint}`));
    const content = gpg(home, ['--decrypt', s!.file!]).stdout;
    expect(JSON.parse(content)).toEqual({
      critical: { identity: { 'docker-reference': IDENTITY }, image: { 'docker-manifest-digest': digest }, type: 'atomic container signature' },
      optional: { creator: 'airsign/0.1.0', timestamp: Math.floor(Date.parse(s!.signingTime) / 1000) },
    });
  });
});

describe('lookaside numbering and identities', () => {
  it('a second run takes signature-2; a short identity is signed in its normalized form', () => {
    const dir = join(work, 'second');
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const lookaside = join(dir, 'la');
    const key = hsmKey('ec-p256');
    const first = runCli(['sign', input, '--key', key, '--format', 'gpg', '--identity', 'app:1.4', '--lookaside', lookaside, '--json'], { env: hsm.env });
    const second = runCli(['sign', input, '--key', key, '--format', 'gpg', '--identity', 'app:1.4', '--lookaside', lookaside, '--json'], { env: hsm.env });
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const files = [first, second].map((r) => (JSON.parse(r.stdout) as SigningRecord).signatures[0]!);
    expect(files.map((s) => s.identity)).toEqual(['docker.io/library/app:1.4', 'docker.io/library/app:1.4']);
    const hex = files[0]!.signedDescriptor.digest.slice(7);
    expect(files.map((s) => s.file)).toEqual([1, 2].map((n) => join(lookaside, 'library', `app@sha256=${hex}`, `signature-${n}`)));
    const { home, fingerprint } = keyringFor(key, dir);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, readLayoutBlob(input, files[0]!.signedDescriptor.digest));
    for (const s of files) expect(standaloneVerify(home, manifest, 'app:1.4', fingerprint, s.file!).code).toBe(0);
  });
});

describe('concurrent runs', () => {
  it('four simultaneous runs into one lookaside tree each get their own signature-N, all valid', async () => {
    const dir = join(work, 'concurrent');
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const lookaside = join(dir, 'la');
    const key = CASES[3]!.key();
    // stdout is the --json record; stderr may carry a line while one run waits for another's lock.
    const runs = await Promise.all(Array.from({ length: 4 }, () => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(...cliCommand(['sign', input, '--key', key, '--format', 'gpg', '--identity', IDENTITY, '--lookaside', lookaside, '--json']));
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    })));
    for (const r of runs) expect(r.code, r.err).toBe(0);
    const files = runs.map((r) => (JSON.parse(r.out) as SigningRecord).signatures[0]!.file!).sort();
    const hex = readLayoutIndex(input).manifests[0]!.digest.slice(7);
    expect(files).toEqual([1, 2, 3, 4].map((n) => join(lookaside, 'team', `app@sha256=${hex}`, `signature-${n}`)));
    expect(lookasideFiles(lookaside)).toHaveLength(4);
    const { home, fingerprint } = keyringFor(key, dir);
    const manifest = join(dir, 'manifest.json');
    writeFileSync(manifest, readLayoutBlob(input, `sha256:${hex}`));
    for (const file of files) expect(standaloneVerify(home, manifest, IDENTITY, fingerprint, file).code).toBe(0);
  });
});

/** A FIFO that hands out the PIN once: a second login would block and time out. */
function oneShotPin(dir: string, pin: string): { path: string; writer: ChildProcess } {
  const path = join(dir, 'pin.fifo');
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', 'printf %s "$PIN" > "$FIFO"'], { env: { PIN: pin, FIFO: path }, stdio: 'ignore' });
  return { path, writer };
}

describe('--recursive with Notation and GPG in one run', () => {
  it('signs the index and each platform manifest in both formats with one login', () => {
    const dir = join(work, 'recursive');
    mkdirSync(dir);
    const input = join(dir, 'multi.tar');
    copyFileSync(join(SAMPLES, 'multi.tar'), input);
    const chain = makeTestChain('ec-p256', { publicKeyPem: exportPublicKeyWithP11tool(hsm, 'airsign-test', 'ec-p256') });
    const lookaside = join(dir, 'la');
    const pin = oneShotPin(dir, hsm.pin);
    const r = runCliTimed(['sign', input, '--key', hsmKey('ec-p256', `pin-source=file:${pin.path}`), '--cert', chain.chainPath,
      '--format', 'notation', '--format', 'gpg', '--recursive', '--reference', '1.4', '--identity', IDENTITY, '--lookaside', lookaside, '--json'],
    { env: hsm.env, timeoutMs: 30_000 });
    pin.writer.kill();
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as SigningRecord;
    const gpgSignatures = record.signatures.filter((s) => s.format === 'gpg');
    const notationSignatures = record.signatures.filter((s) => s.format === 'notation');
    const targets = [...new Set(record.signatures.map((s) => s.signedDescriptor.digest))];
    expect(targets.length).toBeGreaterThanOrEqual(3); // the index and at least two platform manifests
    expect(gpgSignatures.map((s) => s.signedDescriptor.digest)).toEqual(targets);
    expect(notationSignatures.map((s) => s.signedDescriptor.digest)).toEqual(targets);
    expect(lookasideFiles(lookaside)).toHaveLength(targets.length);

    const { home, fingerprint } = keyringFor(hsmKey('ec-p256'), dir);
    for (const s of gpgSignatures) {
      const manifest = join(dir, `${s.signedDescriptor.digest.slice(7)}.json`);
      writeFileSync(manifest, readLayoutBlob(input, s.signedDescriptor.digest));
      expect(standaloneVerify(home, manifest, IDENTITY, fingerprint, s.file!).out).toContain(`Signature verified, digest ${s.signedDescriptor.digest}`);
      expect(s.file).toBe(join(lookaside, 'team', `app@sha256=${s.signedDescriptor.digest.slice(7)}`, 'signature-1'));
    }
    for (const s of notationSignatures) {
      expect(verifyWithPython(readLayoutBlob(input, s.signature.digest), { root: chain.rootPath, descriptor: s.signedDescriptor, alg: 'ES256', dir })).toBe('OK JWS ES256');
    }
  });
});
