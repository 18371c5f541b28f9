/**
 * Runs scripts/pkcs11-matrix.sh, one PKCS#11 implementation per test: the same smoke run (key list,
 * key export, cert create --import, five formats, verify, openssl, 8 parallel signs) through each
 * module the CI machine has (scripts/install-test-deps.sh installs them). SoftHSM, p11-kit's proxy
 * and RPC client, the always-authenticate and the hash-and-sign-only tokens must pass everywhere;
 * as root (CI) every module must pass. Without root, the modules that need it (NSS's keys are made
 * as another user, opencryptoki's and tpm2's daemons) may be skipped with the reason in the test
 * output, never fail.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NEED_ROOT = ['nss', 'nss-p11kit', 'opencryptoki', 'tpm2', 'camlcrush'];
const AS_ROOT = process.getuid?.() === 0;
const REQUIRED = ['softhsm', 'p11kit-proxy', 'p11kit-client', 'always-auth', 'hash-and-sign', ...(AS_ROOT ? NEED_ROOT : [])];
const OPTIONAL = AS_ROOT ? [] : NEED_ROOT;

function runMatrix(module: string): { status: number | null; line: string; output: string } {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'pkcs11-matrix.sh'), module], { cwd: ROOT, encoding: 'utf8', timeout: 15 * 60_000 });
  const output = `${r.stdout}${r.stderr}`;
  const line = output.split('\n').find((l) => l.trim().startsWith(`${module} `))?.trim() ?? '';
  return { status: r.status, line, output };
}

describe('PKCS#11 matrix', () => {
  it.each(REQUIRED)('%s: passes', { timeout: 15 * 60_000 }, (module) => {
    const r = runMatrix(module);
    console.log(`pkcs11-matrix: ${r.line}`);
    expect(r.line, r.output).toMatch(new RegExp(`^${module}\\s+PASS\\b`));
    expect(r.status, r.output).toBe(0);
  });

  it.skipIf(OPTIONAL.length === 0).each(OPTIONAL)('%s: passes, or is skipped with its reason', { timeout: 15 * 60_000 }, (module) => {
    const r = runMatrix(module);
    console.log(`pkcs11-matrix: ${r.line}`);
    expect(r.line, r.output).toMatch(new RegExp(`^${module}\\s+(PASS|SKIP\\s+\\S+s\\s+\\S)`));
    expect(r.status, r.output).toBe(0);
  });
});
