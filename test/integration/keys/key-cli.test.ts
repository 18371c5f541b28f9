/**
 * `airsign key list|export|generate` as a user runs them (bin/airsign.js, built), against a real
 * SoftHSM store. Every error case checks exit code, a one-line message, no stack trace, and that
 * no PIN or passphrase appears in stdout or stderr.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AIRSIGN_TEST_EXECUTABLE, cliCommand, runCli, type CliResult } from '../../helpers/cli.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { createSoftHsm, exportPublicKeyWithP11tool, STANDARD_TOKEN, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PIN = '58213476';
const WRONG_PIN = '90417733';
const PASSWORD = 'Pass-31415-cosign';
const WRONG_PASSWORD = 'Nope-27182-cosign';
const SECRETS = [PIN, WRONG_PIN, PASSWORD, WRONG_PASSWORD];

let hsm: SoftHsm;
const dir = tempDir('airsign-keycli-');
const T = STANDARD_TOKEN.label;

beforeAll(() => {
  hsm = createSoftHsm(
    [
      STANDARD_TOKEN,
      { label: 'rel', keys: [{ type: 'EC:prime256v1', id: '01', label: 'signer' }] },
      { label: 'release', keys: [{ type: 'EC:prime256v1', id: '01', label: 'signer' }] },
      { label: 'hidden', keys: [{ type: 'rsa:2048', id: '07', label: 'nopub' }, { type: 'EC:prime256v1', id: '08', label: 'shown' }] },
    ],
    { pin: PIN },
  );
  // A key pair whose public key object is gone: only a login shows the key (the private key's attributes).
  execFileSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'hidden', '--login', '--pin', PIN, '--delete-object', '--type', 'pubkey', '--label', 'nopub'], { env: hsm.env, stdio: 'pipe' });
});

/** Environment without any AIRSIGN_/COSIGN_ variables from the outer shell. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(hsm.env)) if (!/^(AIRSIGN_|COSIGN_)/.test(k)) base[k] = v;
  return { ...base, ...extra };
}

function cli(args: string[], extra: NodeJS.ProcessEnv = {}): CliResult {
  return runCli(args, { env: env(extra), cwd: dir });
}

/** A failing run: exit code, code in --json, one-line stderr, no stack, no secret anywhere. */
function expectCleanFailure(r: CliResult, exitCode: number, code?: string): void {
  expect(r.code, r.stderr).toBe(exitCode);
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^airsign: /);
  if (exitCode !== 2) expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (code !== undefined) expect(JSON.parse(r.stdout).error.code).toBe(code);
  for (const secret of SECRETS) {
    expect(r.stdout, `secret in stdout`).not.toContain(secret);
    expect(r.stderr, `secret in stderr`).not.toContain(secret);
  }
}

describe('key list', () => {
  it('without a PIN lists every token by exact label with public objects and PIN-free URIs', () => {
    const r = cli(['key', 'list', '--module', hsm.module, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.module).toBe(hsm.module);
    expect(doc.tokens.map((t: { token: { label: string } }) => t.token.label).sort()).toEqual(['airsign-test', 'hidden', 'rel', 'release']);
    const std = doc.tokens.find((t: { token: { label: string } }) => t.token.label === T);
    expect(std.loggedIn).toBe(false);
    expect(std.keys.map((k: { label: string; hasPublicKey: boolean; hasPrivateKey: boolean }) => [k.label, k.hasPublicKey, k.hasPrivateKey])).toEqual([
      ['ec-p256', true, false], ['ec-p384', true, false], ['rsa-3072', true, false], ['ed25519', true, false],
    ]);
    const text = cli(['key', 'list', '--module', hsm.module]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`pkcs11:token=release;id=%01;object=signer?module-path=${hsm.module}`);
  });

  it('with --token and a PIN shows keys with type, size, id and URI; the PIN appears nowhere', () => {
    const r = cli(['key', 'list', '--module', hsm.module, '--token', T, '--json'], { AIRSIGN_PKCS11_PIN: PIN });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.tokens).toHaveLength(1);
    expect(doc.tokens[0].loggedIn).toBe(true);
    expect(doc.tokens[0].keys.map((k: { id: string; keyType: string; bits: number; hasPrivateKey: boolean }) => [k.id, k.keyType, k.bits, k.hasPrivateKey])).toEqual([
      ['01', 'ecdsa-p256', 256, true], ['02', 'ecdsa-p384', 384, true], ['03', 'rsa-3072', 3072, true], ['04', 'ed25519', 256, true],
    ]);
    expect(r.stdout + r.stderr).not.toContain(PIN);
    const text = cli(['key', 'list', '--module', hsm.module, '--token', 'rel'], { COSIGN_PKCS11_PIN: PIN });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Token "rel"');
    expect(text.stdout).not.toContain('Token "release"');
    expect(text.stdout).toMatch(/01\s+signer\s+ecdsa-p256\s+256\s+private\+public/);
    expect(text.stdout + text.stderr).not.toContain(PIN);
  });

  it('module comes from AIRSIGN_PKCS11_MODULE; --help has examples', () => {
    expect(cli(['key', 'list', '--json'], { AIRSIGN_PKCS11_MODULE: hsm.module }).code).toBe(0);
    const help = cli(['key', 'list', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
  });
});

describe('key export', () => {
  for (const key of ['ec-p256', 'ec-p384', 'rsa-3072', 'ed25519']) {
    it(`${key}: --as pem and --as cosign equal p11tool --export-pubkey, with no PIN anywhere (no login)`, () => {
      const expected = exportPublicKeyWithP11tool(hsm, T, key);
      const keyUri = `pkcs11:token=${T};object=${key}?module-path=${hsm.module}`;
      // No PIN in the environment and no terminal: a login would fail with PKCS11_PIN_REQUIRED.
      const r = cli(['key', 'export', keyUri]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(expected);
      const out = join(dir, `${key}.cosign.pub`);
      const c = cli(['key', 'export', keyUri, '--as', 'cosign', '--output', out, '--json']);
      expect(c.code, c.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(expected);
      expect(JSON.parse(c.stdout)).toMatchObject({ key: `pkcs11:token=${T};object=${key}`, format: 'cosign', output: out, fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    });
  }

  it('prefix-sharing tokens export different keys, each equal to p11tool', () => {
    const rel = cli(['key', 'export', `pkcs11:token=rel;object=signer?module-path=${hsm.module}`]);
    const release = cli(['key', 'export', `pkcs11:token=release;object=signer?module-path=${hsm.module}`]);
    expect(rel.stdout).toBe(exportPublicKeyWithP11tool(hsm, 'rel', 'signer'));
    expect(release.stdout).toBe(exportPublicKeyWithP11tool(hsm, 'release', 'signer'));
    expect(rel.stdout).not.toBe(release.stdout);
  });

  it('--as openpgp: gpg --import accepts it, the fingerprint is stable, stdout is armored', () => {
    const keyUri = `pkcs11:token=${T};object=ec-p256?module-path=${hsm.module}`;
    const pin = { AIRSIGN_PKCS11_PIN: PIN };
    expectCleanFailure(cli(['key', 'export', keyUri, '--as', 'openpgp', '--json'], pin), 2, 'USER_ID_REQUIRED');
    const out = join(dir, 'ec-p256.gpg');
    const r = cli(['key', 'export', keyUri, '--as', 'openpgp', '--user-id', 'HSM Signer <hsm@example.com>', '--output', out, '--json'], pin);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.openPgpFingerprint).toMatch(/^[0-9A-F]{40}$/);
    const home = gpgHome();
    const imported = gpg(home, ['--import', out]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(gpgFingerprints(home)).toEqual([report.openPgpFingerprint]);
    expect(gpg(home, ['--list-keys', '--with-colons']).stdout).toContain('HSM Signer <hsm@example.com>');
    const again = cli(['key', 'export', keyUri, '--as', 'openpgp', '--user-id', 'HSM Signer <hsm@example.com>', '--json'], pin);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).openPgpFingerprint).toBe(report.openPgpFingerprint);
    const armored = cli(['key', 'export', keyUri, '--as', 'openpgp', '--user-id', 'HSM Signer <hsm@example.com>'], pin);
    expect(armored.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expectCleanFailure(cli(['key', 'export', keyUri, '--as', 'openpgp', '--user-id', 'x <x@y>', '--no-armor', '--json'], pin), 2, 'OUTPUT_REQUIRED');
  });
});

describe('key generate', () => {
  for (const type of ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519']) {
    it(`${type}: writes a 0600 PKCS#8 key openssl reads; export gives its public key`, () => {
      const out = join(dir, `gen-${type}.pem`);
      const r = cli(['key', 'generate', '--type', type, '--output', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ schemaVersion: 1, keyType: type, format: 'pkcs8', privateKey: out });
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const pub = execFileSync('openssl', ['pkey', '-in', out, '-pubout'], { encoding: 'utf8' });
      expect(cli(['key', 'export', out]).stdout).toBe(pub);
    });
  }

  it('--cosign writes an encrypted cosign key and .pub; export with the password matches; wrong password fails cleanly', () => {
    const out = join(dir, 'cosign.key');
    const r = cli(['key', 'generate', '--type', 'ecdsa-p256', '--cosign', '--output', out], { COSIGN_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const pub = readFileSync(join(dir, 'cosign.pub'), 'utf8');
    expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const e = cli(['key', 'export', out], { AIRSIGN_KEY_PASSWORD: PASSWORD });
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toBe(pub);
    writeFileSync(join(dir, 'pw.txt'), `${PASSWORD}\n`);
    expect(cli(['key', 'export', out, '--password-file', join(dir, 'pw.txt')]).stdout).toBe(pub);
    const bad = cli(['key', 'export', out, '--json', '--output', join(dir, 'never.pub')], { COSIGN_PASSWORD: WRONG_PASSWORD });
    expectCleanFailure(bad, 3, 'KEY_PASSPHRASE_WRONG');
    expect(existsSync(join(dir, 'never.pub'))).toBe(false);
    expectCleanFailure(cli(['key', 'export', out, '--json']), 3, 'KEY_PASSPHRASE_REQUIRED');
  });

  it('refuses to overwrite without --force and leaves the file unchanged', () => {
    const out = join(dir, 'keep.pem');
    writeFileSync(out, 'original');
    expectCleanFailure(cli(['key', 'generate', '--type', 'ed25519', '--output', out, '--json']), 2, 'OUTPUT_EXISTS');
    expect(readFileSync(out, 'utf8')).toBe('original');
    expect(cli(['key', 'generate', '--type', 'ed25519', '--output', out, '--force']).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    expectCleanFailure(cli(['key', 'generate', '--type', 'dsa-1024', '--output', join(dir, 'x.pem')]), 2);
  });
});

describe('key errors', () => {
  const keyUri = (token: string, object: string) => `pkcs11:token=${token};object=${object}?module-path=${hsm.module}`;
  // --as openpgp signs a self-signature with the private key, so it always logs in (--as pem does not).
  const LOGIN = ['--as', 'openpgp', '--user-id', 'Login <login@example.com>'];

  it('wrong PIN: exit 3, one line, the PIN in no output, no output file', () => {
    const out = join(dir, 'wrongpin.pub');
    for (const extra of [{ AIRSIGN_PKCS11_PIN: WRONG_PIN }, { COSIGN_PKCS11_PIN: WRONG_PIN }]) {
      const r = cli(['key', 'export', keyUri(T, 'ec-p256'), ...LOGIN, '--output', out, '--json'], extra);
      expectCleanFailure(r, 3, 'PKCS11_PIN_INCORRECT');
      expect(r.stderr).toMatch(/wrong PIN on token "airsign-test"/);
    }
    const viaUri = cli(['key', 'export', `${keyUri(T, 'ec-p256')}&pin-value=${WRONG_PIN}`, ...LOGIN, '--debug']);
    expect(viaUri.code).toBe(3);
    expect(viaUri.stdout + viaUri.stderr).not.toContain(WRONG_PIN);
    const list = cli(['key', 'list', '--module', hsm.module, '--token', T, '--json'], { AIRSIGN_PKCS11_PIN: WRONG_PIN });
    expectCleanFailure(list, 3, 'PKCS11_PIN_INCORRECT');
    expect(existsSync(out)).toBe(false);
  });

  it('no PIN and no terminal: PKCS11_PIN_REQUIRED; PIN from pin-source file works', () => {
    expectCleanFailure(cli(['key', 'export', keyUri(T, 'ec-p256'), ...LOGIN, '--json']), 3, 'PKCS11_PIN_REQUIRED');
    writeFileSync(join(dir, 'pin'), `${PIN}\n`);
    const r = cli(['key', 'export', `${keyUri(T, 'ec-p256')}&pin-source=file:${join(dir, 'pin')}`, ...LOGIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(cli(['key', 'export', keyUri(T, 'ec-p256'), ...LOGIN, '--pin-file', join(dir, 'pin')]).code).toBe(0);
  });

  it('missing token, object and module; unloadable module; bad URI: documented codes and exits', () => {
    const pin = { AIRSIGN_PKCS11_PIN: PIN };
    const noToken = cli(['key', 'export', keyUri('re', 'signer'), '--json'], pin);
    expectCleanFailure(noToken, 3, 'PKCS11_TOKEN_NOT_FOUND');
    expect(noToken.stderr).toMatch(/no token labelled "re"/);
    expectCleanFailure(cli(['key', 'export', keyUri(T, 'nope'), ...LOGIN, '--json'], pin), 3, 'PKCS11_OBJECT_NOT_FOUND');
    expectCleanFailure(cli(['key', 'export', `pkcs11:token=${T};object=ec-p256?module-path=/no/such/lib.so`, '--json'], pin), 3, 'PKCS11_MODULE_NOT_FOUND');
    expectCleanFailure(cli(['key', 'list', '--module', '/no/such/lib.so', '--json']), 3, 'PKCS11_MODULE_NOT_FOUND');
    expectCleanFailure(cli(['key', 'list', '--module', '/etc/hostname', '--json']), 3, 'PKCS11_MODULE_LOAD_FAILED');
    expectCleanFailure(cli(['key', 'list', '--json']), 3, 'PKCS11_MODULE_REQUIRED');
    expectCleanFailure(cli(['key', 'list', '--module', hsm.module, '--json'], { SOFTHSM2_CONF: join(dir, 'missing.conf') }), 3, 'PKCS11_INIT_FAILED');
    expectCleanFailure(cli(['key', 'export', 'pkcs11:token=%zz;object=x', '--json'], pin), 2, 'PKCS11_URI_INVALID');
    expectCleanFailure(cli(['key', 'export', join(dir, 'no-such-key.pem'), '--json']), 3, 'KEY_FILE_NOT_FOUND');
  });

  it('a key label typo lists the keys on the token: logged in (all keys), and without a PIN (the public ones)', () => {
    const listed = [['ec-p256', '01', 'ecdsa-p256'], ['ec-p384', '02', 'ecdsa-p384'], ['rsa-3072', '03', 'rsa-3072'], ['ed25519', '04', 'ed25519']];
    const expectListed = (r: CliResult) => {
      for (const [label, id, type] of listed) expect(r.stderr).toContain(`"${label}" (id ${id}, ${type})`);
      const error = JSON.parse(r.stdout).error;
      expect(error.details.available).toEqual(listed.map(([label, id, keyType]) => ({ label, id, keyType })));
    };
    const loggedIn = cli(['key', 'export', keyUri(T, 'ec-p265'), ...LOGIN, '--json'], { AIRSIGN_PKCS11_PIN: PIN });
    expectCleanFailure(loggedIn, 3, 'PKCS11_OBJECT_NOT_FOUND');
    expect(loggedIn.stderr).toMatch(/no private key with label "ec-p265" on token "airsign-test" \(keys: /);
    expectListed(loggedIn);
    // The same for --as pem with a PIN at hand: the public read finds nothing, so it logs in and lists all keys.
    const pemWithPin = cli(['key', 'export', keyUri(T, 'ec-p265'), '--json'], { AIRSIGN_PKCS11_PIN: PIN });
    expectCleanFailure(pemWithPin, 3, 'PKCS11_OBJECT_NOT_FOUND');
    expectListed(pemWithPin);
    // No PIN: a typo and a hidden public key look the same without a login; the message lists what the token shows.
    const noPin = cli(['key', 'export', keyUri(T, 'ec-p265'), '--json']);
    expectCleanFailure(noPin, 3, 'PKCS11_PUBLIC_KEY_NOT_FOUND');
    expect(noPin.stderr).toMatch(/shows no public key object or certificate for pkcs11:token=airsign-test;object=ec-p265 without a login \(keys it shows: /);
    expectListed(noPin);
    // A token typo lists the tokens, without a PIN too.
    const tokenTypo = cli(['key', 'export', keyUri('airsign-tset', 'ec-p256'), '--json']);
    expectCleanFailure(tokenTypo, 3, 'PKCS11_TOKEN_NOT_FOUND');
    expect(tokenTypo.stderr).toMatch(/tokens: .*"airsign-test"/);
  });

  // The npm package's koffi blocked through NODE_OPTIONS: the release executable embeds koffi and
  // ignores NODE_OPTIONS (test/release/ proves both, and its NATIVE_LIBRARY_UNAVAILABLE case), so
  // these two run against bin/airsign.js only.
  it.skipIf(AIRSIGN_TEST_EXECUTABLE !== undefined).each([
    ['the koffi package', 'koffi'],
    ['its native library for this platform', `@koromix/koffi-${process.platform}-${process.arch}`],
  ])('koffi not loadable (%s missing): PKCS11_SUPPORT_MISSING, exit 3, and no word of build tools', (_what, blocked) => {
    const blocker = join(dir, 'block-koffi.cjs');
    writeFileSync(blocker, `const M = require('module'); const orig = M._resolveFilename;
M._resolveFilename = function (request, ...rest) { if (request === ${JSON.stringify(blocked)} || request.includes(${JSON.stringify(`/${blocked}`)})) { const e = new Error("Cannot find module"); e.code = 'MODULE_NOT_FOUND'; throw e; } return orig.call(this, request, ...rest); };\n`);
    const r = cli(['key', 'list', '--module', hsm.module, '--json'], { NODE_OPTIONS: `--require ${blocker}` });
    expectCleanFailure(r, 3, 'PKCS11_SUPPORT_MISSING');
    expect(r.stderr).toMatch(/PKCS#11 support could not be loaded: the koffi package/);
    expect(r.stderr).not.toMatch(/pkcs11js|compiler|Build Tools/);
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt that matches
 * `/Enter .*: $/` with the next of `answers`. Returns everything the terminal showed.
 */
function runOnTty(args: string[], answers: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; screen: string }> {
  const quoted = cliCommand(args).flat().map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', quoted, '/dev/null'], { env: env(extra), cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let answered = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out; screen so far: ${screen}`));
    }, 50_000);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      const prompts = screen.match(/Enter [^\n]*: /g)?.length ?? 0;
      while (answered < prompts && answered < answers.length) child.stdin.write(`${answers[answered++]}\r`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen });
    });
  });
}

describe('terminal prompts', () => {
  it('asks for the PIN on a TTY without echoing it (--as openpgp signs, so it logs in)', async () => {
    const r = await runOnTty(['key', 'export', `pkcs11:token=${T};object=ec-p256?module-path=${hsm.module}`, '--as', 'openpgp', '--user-id', 'TTY <tty@example.com>'], [PIN]);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain(`Enter PIN for token "${T}": `);
    expect(r.screen).toMatch(/-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(r.screen).not.toContain(PIN);
  });

  it('--as pem asks for no PIN on a TTY; a key whose public object the token hides asks, and says why', async () => {
    const plain = await runOnTty(['key', 'export', `pkcs11:token=${T};object=ec-p256?module-path=${hsm.module}`], [PIN]);
    expect(plain.code, plain.screen).toBe(0);
    expect(plain.screen).not.toContain('Enter PIN');
    expect(plain.screen.replace(/\r/g, '')).toContain(exportPublicKeyWithP11tool(hsm, T, 'ec-p256'));
    const hidden = await runOnTty(['key', 'export', `pkcs11:token=hidden;object=nopub?module-path=${hsm.module}`], [PIN]);
    expect(hidden.code, hidden.screen).toBe(0);
    const screen = hidden.screen.replace(/\r/g, '');
    expect(screen).toContain('token "hidden" shows no public key object or certificate for pkcs11:token=hidden;object=nopub without a login (keys it shows: "shown" (id 08, ecdsa-p256)), so the key pair is read after a login.\nEnter PIN for token "hidden": ');
    expect(screen).toMatch(/-----BEGIN PUBLIC KEY-----/);
    expect(screen).not.toContain(PIN);
  });

  it('asks twice for a new cosign password and refuses a mismatch', async () => {
    const out = join(dir, 'tty-cosign.key');
    const bad = await runOnTty(['key', 'generate', '--type', 'ecdsa-p256', '--cosign', '--output', out], [PASSWORD, WRONG_PASSWORD]);
    expect(bad.code).toBe(3);
    expect(bad.screen).toMatch(/the two entries differ/);
    expect(existsSync(out)).toBe(false);
    const good = await runOnTty(['key', 'generate', '--type', 'ecdsa-p256', '--cosign', '--output', out], [PASSWORD, PASSWORD]);
    expect(good.code, good.screen).toBe(0);
    for (const secret of SECRETS) expect(good.screen + bad.screen).not.toContain(secret);
    expect(cli(['key', 'export', out], { COSIGN_PASSWORD: PASSWORD }).stdout).toBe(readFileSync(join(dir, 'tty-cosign.pub'), 'utf8'));
  });
});
