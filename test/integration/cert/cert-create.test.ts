/**
 * `airsign cert create` end to end: file keys and SoftHSM keys, checked by OpenSSL, pkcs11-tool
 * and (for --import) the keys module's own openKey chain lookup in a separate CLI process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { createSoftHsm, exportPublicKeyWithP11tool, useSoftHsmInProcess, type SoftHsm } from '../../helpers/softhsm.js';
import { openKey } from '../../../src/keys/open-key.js';
import { opensslGenerateKey } from '../../helpers/pem-test-key.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-cert-');
let hsm: SoftHsm;
let pinFile: string;
let rootKey: string;
let rootCert: string;

function openssl(args: string[]): { code: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
function uri(object: string, token = 'airsign-test'): string {
  return `pkcs11:token=${token};object=${object}?module-path=${hsm.module}&pin-source=file:${pinFile}`;
}
function cli(args: string[]) {
  return runCli(args, { env: hsm.env });
}
function expectLeafProfile(path: string): void {
  const text = openssl(['x509', '-in', path, '-noout', '-text']).out;
  expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
  expect(text).toMatch(/X509v3 Extended Key Usage: \s*\n\s+Code Signing\n/);
  expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
}
function expectCleanFailure(r: { code: number; stdout: string; stderr: string }, code: number, message: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout + r.stderr).not.toContain(hsm.pin === '1234' ? 'pin-value' : hsm.pin);
}

beforeAll(() => {
  hsm = createSoftHsm();
  pinFile = join(dir, 'pin');
  writeFileSync(pinFile, `${hsm.pin}\n`);
  rootKey = opensslGenerateKey(dir, 'root', 'ecdsa-p256');
  rootCert = join(dir, 'root.crt');
  const r = runCli(['cert', 'create', '--key', rootKey, '--subject', 'C=US,O=Acme,CN=Acme Root', '--ca', '--days', '3650', '-o', rootCert]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('cert create with file keys', () => {
  it('makes a root CA openssl accepts as one', () => {
    const text = openssl(['x509', '-in', rootCert, '-noout', '-text']).out;
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(openssl(['verify', '-CAfile', rootCert, rootCert]).code).toBe(0);
  });

  it.each(['ecdsa-p384', 'rsa-3072'] as const)('issues a %s leaf (signed by the P-256 root) that passes openssl verify, and reports it with --json', (type) => {
    const key = opensslGenerateKey(dir, `file-${type}`, type);
    const out = join(dir, `file-${type}.crt`);
    const r = runCli(['cert', 'create', '--key', key, '--subject', 'C=US,ST=WA,L=Seattle,O=Acme\\, Inc,CN=release', '--issuer-key', rootKey, '--issuer-cert', rootCert, '--days', '90', '--json', '-o', out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ output: out, subject: 'C=US, ST=WA, L=Seattle, O=Acme\\, Inc, CN=release', issuer: 'C=US, O=Acme, CN=Acme Root', selfSigned: false, ca: false, signatureAlgorithm: 'ecdsa-with-SHA256', keyType: type, warnings: [] });
    const verify = openssl(['verify', '-x509_strict', '-CAfile', rootCert, out]);
    expect(verify.out).toContain(`${out}: OK`);
    expectLeafProfile(out);
    expect(openssl(['x509', '-in', out, '-noout', '-subject', '-nameopt', 'RFC2253']).out.trim()).toBe('subject=CN=release,O=Acme\\, Inc,L=Seattle,ST=WA,C=US');
    const fingerprint = openssl(['x509', '-in', out, '-noout', '-fingerprint', '-sha256']).out.split('=')[1]!.trim().replace(/:/g, '').toLowerCase();
    expect(report.sha256Thumbprint).toBe(fingerprint);
  });

  it('makes a self-signed Ed25519 certificate openssl parses and verifies', () => {
    const key = opensslGenerateKey(dir, 'file-ed', 'ed25519');
    const out = join(dir, 'file-ed.crt');
    const r = runCli(['cert', 'create', '--key', key, '--subject', 'O=Acme,CN=ed', '-o', out]);
    expect(r.code).toBe(0);
    // Valid X.509, but Notation would not take it: say so on stderr.
    expect(r.stderr).toContain('airsign: warning: Notation does not accept Ed25519 signing keys');
    expect(r.stderr).toContain('the subject lacks C, ST');
    expect(openssl(['x509', '-in', out, '-noout', '-text']).out).toContain('Signature Algorithm: ED25519');
    expect(openssl(['verify', '-CAfile', out, out]).code).toBe(0);
    expectLeafProfile(out);
  });

  it('refuses a wrong issuer key with exit 3, one line, no output file', () => {
    const other = opensslGenerateKey(dir, 'other', 'ecdsa-p256');
    const out = join(dir, 'wrong-issuer.crt');
    const before = readFileSync(rootCert);
    const r = runCli(['cert', 'create', '--key', other, '--subject', 'CN=x', '--issuer-key', other, '--issuer-cert', rootCert, '-o', out]);
    expectCleanFailure(r, 3, /the issuer certificate \(C=US, O=Acme, CN=Acme Root\) is not for the issuer key .*other\.pem: their public keys differ/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(rootCert)).toEqual(before);
  });

  it('gives usage errors (exit 2) for bad subjects, half an issuer, --import with a file key, bad days', () => {
    const out = join(dir, 'bad.crt');
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'C=USA,CN=x', '-o', out]), 2, /country \(C\) must be a two-letter code/);
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CX=1', '-o', out]), 2, /unknown subject attribute "CX"/);
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--issuer-key', rootKey, '-o', out]), 2, /--issuer-key and --issuer-cert go together/);
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--import', '-o', out]), 2, /--import .* must be a pkcs11: URI/);
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--days', '0', '-o', out]), 2, /--days must be/);
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--issuer-key', rootKey, '--issuer-cert', rootKey, '-o', out]), 2, /contains no PEM CERTIFICATE/);
    expect(existsSync(out)).toBe(false);
  });

  it('--path-length takes a whole number >= 0, and only with --ca', () => {
    const out = join(dir, 'pl.crt');
    expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--path-length', '1', '-o', out]), 2, /--path-length only applies to a CA certificate/);
    for (const bad of ['-1', '1.5', 'abc']) {
      expectCleanFailure(runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--ca', `--path-length=${bad}`, '-o', out]), 2, /--path-length must be a whole number >= 0/);
    }
    expect(existsSync(out)).toBe(false);
    const ok = runCli(['cert', 'create', '--key', rootKey, '--subject', 'CN=x', '--ca', '--path-length', '0', '-o', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(openssl(['x509', '-in', out, '-noout', '-text']).out).toMatch(/CA:TRUE, pathlen:0/);
  });

  it('has --help with examples', () => {
    const r = runCli(['cert', 'create', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--issuer-cert');
  });
});

describe('cert create with SoftHSM keys', () => {
  it.each([
    ['ec-p256', 'ecdsa-p256'],
    ['ec-p384', 'ecdsa-p384'],
    ['rsa-3072', 'rsa-3072'],
  ])('issues a leaf for the token key %s that passes openssl verify', (object) => {
    const out = join(dir, `hsm-${object}.crt`);
    const r = cli(['cert', 'create', '--key', uri(object), '--subject', `C=US,ST=WA,O=Acme,CN=${object}`, '--issuer-key', rootKey, '--issuer-cert', rootCert, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(openssl(['verify', '-x509_strict', '-CAfile', rootCert, out]).out).toContain(': OK');
    expectLeafProfile(out);
    // The certificate is for the token's key (compare with p11tool, a peer).
    const tokenPub = exportPublicKeyWithP11tool(hsm, 'airsign-test', object);
    const certPub = execFileSync('openssl', ['x509', '-in', out, '-noout', '-pubkey'], { encoding: 'utf8' });
    expect(certPub.trim()).toBe(tokenPub.trim());
  });

  it('makes an HSM-held CA and issues from it (HSM signs the certificates)', () => {
    const caOut = join(dir, 'hsm-ca.crt');
    expect(cli(['cert', 'create', '--key', uri('rsa-3072'), '--subject', 'C=US,O=Acme,CN=HSM Root', '--ca', '-o', caOut]).code).toBe(0);
    const leafKey = opensslGenerateKey(dir, 'leaf-under-hsm', 'ecdsa-p256');
    const out = join(dir, 'leaf-under-hsm.crt');
    const r = cli(['cert', 'create', '--key', leafKey, '--subject', 'C=US,ST=WA,O=Acme,CN=leaf', '--issuer-key', uri('rsa-3072'), '--issuer-cert', caOut, '-o', out]);
    expect(r.stderr).toBe('');
    expect(openssl(['verify', '-x509_strict', '-CAfile', caOut, out]).out).toContain(': OK');
    expect(openssl(['x509', '-in', out, '-noout', '-text']).out).toContain('Signature Algorithm: sha384WithRSAEncryption');
  });

  it('makes a self-signed Ed25519 certificate with the token key', () => {
    const out = join(dir, 'hsm-ed.crt');
    expect(cli(['cert', 'create', '--key', uri('ed25519'), '--subject', 'CN=hsm ed', '-o', out]).code).toBe(0);
    expect(openssl(['verify', '-CAfile', out, out]).code).toBe(0);
  });

  it('--import puts the certificate on the token under the key\'s id and label, and openKey then uses it', async () => {
    const out = join(dir, 'imported.crt');
    const r = cli(['cert', 'create', '--key', uri('ec-p256'), '--subject', 'C=US,ST=WA,O=Acme,CN=imported', '--issuer-key', rootKey, '--issuer-cert', rootCert, '--import', '--json', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).imported).toMatch(/^pkcs11:token=airsign-test;id=%01;object=ec-p256;type=cert/);
    const listed = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'airsign-test', '--list-objects', '--type', 'cert'], { env: hsm.env, encoding: 'utf8' });
    expect(listed).toMatch(/Certificate Object; type = X\.509 cert\s+label:\s+ec-p256\s+subject:\s+DN: C=US, ST=WA, O=Acme, CN=imported\s+(serial:.*\s+)?ID:\s+01/);
    // The token's certificate object is byte-identical to the PEM written.
    const tokenDer = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'airsign-test', '--read-object', '--type', 'cert', '--id', '01'], { env: hsm.env });
    const fileDer = execFileSync('openssl', ['x509', '-in', out, '-outform', 'der']);
    expect(Buffer.compare(tokenDer, fileDer)).toBe(0);
    // The keys module finds it as the key's chain (in this process: the only in-process PKCS#11 use in this file).
    useSoftHsmInProcess(hsm);
    const backend = await openKey(uri('ec-p256'), { env: {} });
    try {
      const chain = await backend.certificateChain();
      expect(chain).toHaveLength(1);
      expect(Buffer.compare(Buffer.from(chain[0]!), fileDer)).toBe(0);
    } finally {
      await backend.close();
    }

    // A second --import without --replace refuses; with --replace it swaps the object.
    const again = cli(['cert', 'create', '--key', uri('ec-p256'), '--subject', 'C=US,ST=WA,O=Acme,CN=second', '--issuer-key', rootKey, '--issuer-cert', rootCert, '--import', '-o', join(dir, 'second.crt')]);
    expectCleanFailure(again, 3, /already has a certificate/);
    expect(existsSync(join(dir, 'second.crt'))).toBe(false);
    const replaced = cli(['cert', 'create', '--key', uri('ec-p256'), '--subject', 'C=US,ST=WA,O=Acme,CN=second', '--issuer-key', rootKey, '--issuer-cert', rootCert, '--import', '--replace', '-o', join(dir, 'second.crt')]);
    expect(replaced.code).toBe(0);
    const listedAgain = execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'airsign-test', '--list-objects', '--type', 'cert'], { env: hsm.env, encoding: 'utf8' });
    expect(listedAgain.match(/Certificate Object/g)).toHaveLength(1);
    expect(listedAgain).toContain('CN=second');
  });

  it('a wrong PIN is a key error (exit 3) that does not print the PIN', () => {
    const badPin = join(dir, 'badpin');
    writeFileSync(badPin, '98765\n');
    const r = cli(['cert', 'create', '--key', `pkcs11:token=airsign-test;object=ec-p256?module-path=${hsm.module}&pin-source=file:${badPin}`, '--subject', 'CN=x', '-o', join(dir, 'nopin.crt')]);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).not.toContain('98765');
    expect(existsSync(join(dir, 'nopin.crt'))).toBe(false);
  });
});
