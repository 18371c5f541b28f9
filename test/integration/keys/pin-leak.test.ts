/**
 * A PIN or passphrase never reaches any output: every key error case of `sign`, `cert create` and
 * `key export` is run with a distinctive secret, in plain, --json and --debug mode, and stdout and
 * stderr are searched for it (and for each piece of it that a split at "&" or ";" would make).
 * Also: the one-line stderr warning when the PIN is given inline with pin-value.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, exportPublicKeyWithP11tool, useSoftHsmInProcess, type SoftHsm } from '../../helpers/softhsm.js';
import { openKey } from '../../../src/keys/open-key.js';
import { finalizePkcs11Modules } from '../../../src/keys/pkcs11/pkcs11-session-manager.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
/** The token's real PIN: it holds both separators a URI splits at. */
const PIN = 'Top&Sec;ret77';
/** Pieces of it that a parser splitting at & or ; would isolate. */
const PIECES = ['Sec', 'ret77', 'Top&', ';ret'];
const PASSPHRASE = 'Pass&Phr;ase99';

let hsm: SoftHsm;
const work = tempDir('airsign-pin-leak-');
let chain: TestChain;
let encryptedKey: string;

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'leak', keys: [{ type: 'EC:prime256v1', id: '01', label: 'signer' }] }], { pin: PIN });
  chain = makeTestChain('ec-p256', { publicKeyPem: exportPublicKeyWithP11tool(hsm, 'leak', 'signer') });
  encryptedKey = join(work, 'enc.key');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes256', '-pass', `pass:${PASSPHRASE}`, '-out', encryptedKey]);
}, 120_000);
afterAll(() => {
  finalizePkcs11Modules();
  rmSync(hsm.dir, { recursive: true, force: true });
});

const enc = (text: string) => text.replace(/%/g, '%25').replace(/&/g, '%26').replace(/;/g, '%3B');

/** Key specs that hold the PIN, each wrong in its own way. */
function badKeySpecs(): Record<string, string> {
  const base = `token=leak;object=signer?module-path=${hsm.module}`;
  return {
    'unencoded & and ; in pin-value': `pkcs11:${base}&pin-value=${PIN}`,
    'pin-value followed by a bogus type': `pkcs11:token=leak;object=signer;pin-value=Top;type=${PIN.slice(4)}`,
    'repeated unknown attribute from a split PIN': `pkcs11:${base}&pin-value=Top&Sec=1&Sec=2;ret77`,
    'scheme typo pkcs11;': `pkcs11;${base}&pin-value=${enc(PIN)}`,
    'leading space': ` pkcs11:${base}&pin-value=${enc(PIN)}`,
    'missing colon': `pkcs11 ${base}&pin-value=${enc(PIN)}`,
    'wrong PIN (the real one with a typo)': `pkcs11:${base}&pin-value=${enc(`${PIN}x`)}`,
    'right PIN, no such key': `pkcs11:token=leak;object=nothing?module-path=${hsm.module}&pin-value=${enc(PIN)}`,
    'right PIN, no such token': `pkcs11:token=none;object=signer?module-path=${hsm.module}&pin-value=${enc(PIN)}`,
    'bad percent-encoding in pin-value': `pkcs11:${base}&pin-value=${PIN}%zz`,
    'no module': `pkcs11:token=leak;object=signer?module-path=/no/such/module.so&pin-value=${enc(PIN)}`,
  };
}

/** `key export` that logs in: --as openpgp signs a self-signature (--as pem reads the public key without a login). */
const EXPORT_WITH_LOGIN = ['--as', 'openpgp', '--user-id', 'Leak <leak@example.com>'];

function commandsFor(spec: string, dir: string): string[][] {
  const input = join(dir, 'in.tar');
  copyFileSync(join(SAMPLES, 'single.tar'), input);
  return [
    ['sign', input, '--key', spec, '--format', 'notation', '--cert', chain.chainPath, '--record', join(dir, 'rec.json')],
    ['cert', 'create', '--key', spec, '--subject', 'C=US,ST=WA,O=Acme,CN=leak', '-o', join(dir, 'c.pem')],
    ['key', 'export', spec, ...EXPORT_WITH_LOGIN],
  ];
}

function expectNoSecret(result: CliResult, secrets: string[], label: string): void {
  for (const secret of secrets) {
    expect(result.stdout, `${label}: stdout holds ${secret}`).not.toContain(secret);
    expect(result.stderr, `${label}: stderr holds ${secret}`).not.toContain(secret);
  }
}

/** Everything the CLI may print about an error: message, details, and (--debug) the stack and cause chain. */
function printable(error: unknown): string {
  let text = '';
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    text += `${e.message}\n${e.stack ?? ''}\n${JSON.stringify((e as { details?: unknown }).details ?? {})}\n`;
  }
  return text;
}

describe('no PIN in any output', () => {
  it('every key error case, in the library: message, details, stack and causes', async () => {
    useSoftHsmInProcess(hsm);
    for (const [name, spec] of Object.entries(badKeySpecs())) {
      let error: unknown;
      try {
        const key = await openKey(spec, { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: '' } });
        await key.close();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(Error);
      expect((error as { kind?: string }).kind, name).toMatch(/^(input|key)$/);
      for (const secret of [PIN, enc(PIN), ...PIECES]) expect(printable(error), `${name} shows ${secret}`).not.toContain(secret);
    }
  });

  it('the CLI, plain, --json and --debug, for sign, cert create and key export', () => {
    let n = 0;
    const specs = badKeySpecs();
    // One case per kind of mistake: a split PIN, a mistyped scheme, a wrong PIN.
    for (const name of ['unencoded & and ; in pin-value', 'scheme typo pkcs11;', 'wrong PIN (the real one with a typo)']) {
      const spec = specs[name]!;
      for (const mode of [[], ['--json', '--debug']]) {
        const dir = mkdtempSync(join(work, 'case-'));
        const all = commandsFor(spec, dir);
        for (const args of mode.length === 2 ? all : all.slice(0, 1)) {
          const result = runCli([...args, ...mode], { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: '' } });
          const label = `${name} / ${args.slice(0, 2).join(' ')} ${mode.join(' ')}`;
          expect([2, 3], `${label}: ${result.stderr}`).toContain(result.code);
          expectNoSecret(result, [PIN, enc(PIN), ...PIECES], label);
          if (mode.includes('--json')) {
            const doc = JSON.parse(result.stdout) as { error: { code: string; details?: unknown } };
            expect(JSON.stringify(doc.error.details ?? {}), label).not.toMatch(/ret77|Sec/);
          }
          if (mode.includes('--debug')) expect(result.stderr, label).toMatch(/\n\s+at /);
          n += 1;
        }
      }
    }
    expect(n).toBe(3 * (1 + 3));
  }, 120_000);

  it('says how to write ; and & in a PIN, and that a mistyped URI is not shown', () => {
    const dir = mkdtempSync(join(work, 'hint-'));
    const [sign] = commandsFor(badKeySpecs()['unencoded & and ; in pin-value']!, dir);
    const result = runCli(sign!, { env: hsm.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PKCS11_URI_INVALID|invalid PKCS#11 URI/);
    expect(result.stderr).toContain('%3B');
    expect(result.stderr).toContain('%26');
    const typo = runCli(commandsFor(badKeySpecs()['scheme typo pkcs11;']!, dir)[0]!, { env: hsm.env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('does not start with exactly "pkcs11:"');
  });

  it('a wrong passphrase or PIN in a file is never printed', () => {
    const dir = mkdtempSync(join(work, 'files-'));
    const passFile = join(dir, 'pass.txt');
    writeFileSync(passFile, `${PASSPHRASE}x\n`);
    const pinFile = join(dir, 'pin.txt');
    writeFileSync(pinFile, `${PIN}x\n`);
    const cases = [
      ['cert', 'create', '--key', encryptedKey, '--password-file', passFile, '--subject', 'CN=x', '-o', join(dir, 'a.pem')],
      ['key', 'export', encryptedKey, '--password-file', passFile],
      ['cert', 'create', '--key', `pkcs11:token=leak;object=signer?module-path=${hsm.module}`, '--pin-file', pinFile, '--subject', 'CN=x', '-o', join(dir, 'b.pem')],
      ['key', 'export', `pkcs11:token=leak;object=signer?module-path=${hsm.module}`, '--pin-file', pinFile, ...EXPORT_WITH_LOGIN],
      ['key', 'export', `pkcs11:token=leak;object=signer?module-path=${hsm.module}&pin-source=file:${pinFile}`, ...EXPORT_WITH_LOGIN],
    ];
    for (const args of cases) {
      for (const mode of [[], ['--json', '--debug']]) {
        const result = runCli([...args, ...mode], { env: hsm.env });
        expect(result.code, result.stderr).toBe(3);
        expectNoSecret(result, [PASSPHRASE, 'Phr;ase', PIN, ...PIECES], args.join(' '));
      }
    }
  });
});

describe('PIN given inline with pin-value', () => {
  it('works percent-encoded, warns once on stderr, and the PIN is in no output or record', () => {
    const dir = mkdtempSync(join(work, 'inline-'));
    const spec = `pkcs11:token=leak;object=signer?module-path=${hsm.module}&pin-value=${enc(PIN)}`;
    const [sign] = commandsFor(spec, dir);
    for (const mode of [[], ['--json']]) {
      const result = runCli([...sign!, ...mode], { env: hsm.env });
      expect(result.code, result.stderr).toBe(0);
      const warnings = result.stderr.split('\n').filter((l) => l.includes('warning:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('pin-value');
      expect(warnings[0]).toMatch(/ps\b/);
      expectNoSecret(result, [PIN, enc(PIN), ...PIECES], `sign ${mode.join(' ')}`);
      expect(readFileSync(join(dir, 'rec.json'), 'utf8')).not.toMatch(/ret77|Top/);
    }
    // cert create with the same inline PIN for the key and the issuer: still one warning.
    const issuerCert = join(dir, 'issuer.pem');
    const self = runCli(['cert', 'create', '--key', spec, '--subject', 'C=US,ST=WA,O=Acme,CN=ca', '--ca', '-o', issuerCert], { env: hsm.env });
    expect(self.code, self.stderr).toBe(0);
    const issued = runCli(['cert', 'create', '--key', spec, '--issuer-key', spec, '--issuer-cert', issuerCert,
      '--subject', 'C=US,ST=WA,O=Acme,CN=leaf', '-o', join(dir, 'leaf.pem')], { env: hsm.env });
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stderr.split('\n').filter((l) => l.includes('pin-value'))).toHaveLength(1);
    // No warning when the PIN comes from a file.
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, PIN);
    const quiet = runCli(['key', 'export', `pkcs11:token=leak;object=signer?module-path=${hsm.module}&pin-source=file:${pinFile}`, ...EXPORT_WITH_LOGIN], { env: hsm.env });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain('warning');
  });
});
