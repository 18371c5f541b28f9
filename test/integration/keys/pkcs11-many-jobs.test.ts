/**
 * Many CI jobs signing on one HSM at once: 32 `airsign sign` processes started together against one
 * SoftHSM token. SoftHSM re-reads its token files in every process, and a process starting while
 * another rewrites them sees no token or CKR_GENERAL_ERROR (pkcs11-tool fails most of 32 that
 * way); airsign retries discovery, and a login answered CKR_GENERAL_ERROR while the token reports
 * no wrong PIN, so every job must succeed. A wrong PIN is still tried once only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runCli } from '../../helpers/cli.js';
import { createSoftHsm, type SoftHsm } from '../../helpers/softhsm.js';
import { tempDir } from '../../helpers/temp-dir.js';

const JOBS = 32;
/** pkcs11-tool loops running alongside (each rewrites the token files at login). */
const CHURNERS = 4;
const dir = tempDir('airsign-many-jobs-');
let hsm: SoftHsm;
let key: string;

beforeAll(() => {
  hsm = createSoftHsm([{ label: 'ci', keys: [{ type: 'EC:prime256v1', id: '01', label: 'signer' }] }], { dir: join(dir, 'hsm') });
  key = `pkcs11:token=ci;object=signer?module-path=${hsm.module}`;
  copyFileSync(new URL('../../../samples/single.tar', import.meta.url), join(dir, 'in.tar'));
  const env = { ...hsm.env, AIRSIGN_PKCS11_PIN: hsm.pin };
  const cert = runCli(['cert', 'create', '--key', key, '--subject', 'C=US,ST=WA,O=airsign,CN=ci', '-o', join(dir, 'cert.pem')], { env });
  expect(cert.code, cert.stderr).toBe(0);
});

/**
 * Resolves once the clock is past the second after the certificate's notBefore (whole seconds, from
 * the clock when it was made), so a signing time in whole seconds is never before it: a wait for
 * that state (often already reached on a loaded machine), not a fixed sleep.
 */
async function certificateValid(path: string): Promise<void> {
  const from = Date.parse(new X509Certificate(readFileSync(path)).validFrom) + 1000;
  while (Date.now() < from) await new Promise((done) => setTimeout(done, from - Date.now()));
}

function sign(i: number, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(...cliCommand([
      'sign', join(dir, 'in.tar'), '--key', key, '--cert', join(dir, 'cert.pem'),
      '--format', 'notation', '--output', join(dir, `out-${i}.tar`), '--debug',
    ]), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe(`${JOBS} sign jobs on one SoftHSM token at once`, () => {
  it('all succeed (transient token-store answers are retried)', async () => {
    await certificateValid(join(dir, 'cert.pem'));
    const env = { ...hsm.env, AIRSIGN_PKCS11_PIN: hsm.pin };
    const started = Date.now();
    const one = await sign(0, env);
    const single = Date.now() - started;
    expect(one.code, one.stderr).toBe(0);
    // Other jobs on the same token keep its files being rewritten while ours start: pkcs11-tool
    // logging in and signing in a loop (a peer we did not write), as another CI job would.
    let busy = true;
    const churner = async () => {
      let runs = 0;
      while (busy) {
        await new Promise<void>((done) => {
          const p = spawn('pkcs11-tool', ['--module', hsm.module, '--token-label', 'ci', '--login', '--pin', hsm.pin, '--sign', '--id', '01', '-m', 'ECDSA',
            '-i', join(dir, 'cert.pem'), '-o', join(dir, 'churn.sig')], { env: hsm.env, stdio: 'ignore' });
          p.on('close', () => done());
        });
        runs++;
      }
      return runs;
    };
    const churn = Promise.all(Array.from({ length: CHURNERS }, churner)).then((runs) => runs.reduce((a, b) => a + b, 0));
    const allStarted = Date.now();
    const results = await Promise.all(Array.from({ length: JOBS }, (_, i) => sign(i + 1, env)));
    const wall = Date.now() - allStarted;
    busy = false;
    const churnRuns = await churn;
    const failed = results.filter((r) => r.code !== 0);
    const count = (re: RegExp) => results.reduce((n, r) => n + (r.stderr.match(re)?.length ?? 0), 0);
    const retries = `${count(/debug: find token: attempt/g)} find-token and ${count(/debug: login: attempt/g)} login retries`;
    console.log(`${JOBS} concurrent sign jobs: ${failed.length} failed, ${retries}, wall ${wall} ms (one job alone: ${single} ms), ${churnRuns} pkcs11-tool runs alongside`);
    // The error line (with --debug the stack follows it) and the retries that came before it.
    expect(failed.map((r) => r.stderr.split('\n').filter((l) => /error|debug: .*attempt/.test(l)).join(' | ')), 'failed jobs').toEqual([]);
  }, 240_000);

  it('a token missing at start-up (its files mid-rewrite) is found on a retry, deterministically', async () => {
    // Hide the token store, start the job, and give the store back only once airsign has reported
    // its first failed attempt: without the retry this job fails with "no token labelled".
    const [tokenDir] = readdirSync(join(dir, 'hsm', 'tokens'));
    const tokens = join(dir, 'hsm', 'tokens', tokenDir!);
    const hidden = join(dir, 'hidden-token');
    renameSync(tokens, hidden);
    try {
      const child = spawn(...cliCommand([
        'sign', join(dir, 'in.tar'), '--key', key, '--cert', join(dir, 'cert.pem'),
        '--format', 'notation', '--output', join(dir, 'late.tar'), '--debug',
      ]), { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: hsm.pin }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      const code = await new Promise<number | null>((done) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('debug: find token: attempt 1 failed') && existsSync(hidden)) renameSync(hidden, tokens);
        });
        child.on('close', done);
      });
      expect(stderr).toMatch(/debug: find token: attempt 1 failed \(PKCS11_TOKEN_NOT_FOUND\); retrying in \d+ ms/);
      expect(code, stderr).toBe(0);
    } finally {
      if (existsSync(hidden)) renameSync(hidden, tokens);
    }
  });

  /**
   * A sign whose PIN comes from a FIFO: once airsign opens it (the token is found, the login is
   * next) the token store is hidden, so SoftHSM cannot read the token's flags at C_Login and answers
   * CKR_GENERAL_ERROR; the store comes back when airsign reports that failed login attempt.
   */
  async function signWithStoreHiddenAtLogin(name: string): Promise<{ code: number | null; stderr: string }> {
    const [tokenDir] = readdirSync(join(dir, 'hsm', 'tokens'));
    const tokens = join(dir, 'hsm', 'tokens', tokenDir!);
    const hidden = join(dir, 'hidden-token');
    const fifo = join(dir, `${name}.pin`);
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(...cliCommand([
      'sign', join(dir, 'in.tar'), '--key', key, '--cert', join(dir, 'cert.pem'),
      '--format', 'notation', '--output', join(dir, `${name}.tar`), '--pin-file', fifo, '--debug',
    ]), { env: hsm.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const restore = () => existsSync(hidden) && renameSync(hidden, tokens);
    const closed = new Promise<number | null>((done) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/debug: login: attempt 1 failed|error:/.test(stderr)) restore();
      });
      child.on('close', done);
    });
    try {
      const writer = await open(fifo, 'w'); // resolves once airsign opens the PIN file for reading
      renameSync(tokens, hidden);
      await writer.writeFile(`${hsm.pin}\n`);
      await writer.close();
      return { code: await closed, stderr };
    } finally {
      restore();
      rmSync(fifo, { force: true });
    }
  }

  it('a login answered CKR_GENERAL_ERROR (token store mid-rewrite) is retried and succeeds, deterministically', async () => {
    const r = await signWithStoreHiddenAtLogin('login-retry');
    expect(r.stderr).toMatch(/debug: login: attempt 1 failed \(PKCS11_ERROR CKR_GENERAL_ERROR\); retrying in \d+ ms/);
    expect(r.code, r.stderr).toBe(0);
  });

  it('but not once the token reports a wrong PIN entered (CKF_USER_PIN_COUNT_LOW): that attempt may have counted', async () => {
    const pkcs11Tool = (pin: string) =>
      spawnSync('pkcs11-tool', ['--module', hsm.module, '--token-label', 'ci', '--login', '--pin', pin, '--list-objects'], { env: hsm.env, encoding: 'utf8' });
    expect(pkcs11Tool('0000').status).not.toBe(0); // a wrong PIN: SoftHSM sets CKF_USER_PIN_COUNT_LOW
    try {
      const r = await signWithStoreHiddenAtLogin('login-no-retry');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('error: PKCS#11 login failed on token "ci": CKR_GENERAL_ERROR; not tried again: the token reports a wrong PIN entered since its last login');
      expect(r.stderr).not.toMatch(/debug: login: attempt 2/);
    } finally {
      expect(pkcs11Tool(hsm.pin).status).toBe(0); // the right PIN clears the flag for the other tests
    }
  });

  it('a wrong PIN fails at once with exit 3, without retries', () => {
    const r = runCli(['sign', join(dir, 'in.tar'), '--key', key, '--cert', join(dir, 'cert.pem'), '--format', 'notation', '--output', join(dir, 'bad.tar'), '--debug'],
      { env: { ...hsm.env, AIRSIGN_PKCS11_PIN: '9999' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CKR_PIN_INCORRECT');
    expect(r.stderr).not.toContain('retrying');
  });
});
