/**
 * Creates real SoftHSM2 tokens for tests in a private directory (never the system token store).
 * Keys are generated with OpenSC's pkcs11-tool, a peer we did not write.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so']
  .find((p) => existsSync(p)) ?? '/usr/lib/softhsm/libsofthsm2.so';

export type TestKeyType = 'EC:prime256v1' | 'EC:secp384r1' | 'EC:secp521r1' | 'EC:secp256k1' | 'rsa:2048' | 'rsa:3072' | 'rsa:4096' | 'EC:edwards25519';

export interface TestKeySpec {
  type: TestKeyType;
  /** CKA_ID in hex, e.g. "01". */
  id: string;
  label: string;
}

export interface TestTokenSpec {
  label: string;
  keys: TestKeySpec[];
}

export interface SoftHsm {
  dir: string;
  conf: string;
  module: string;
  pin: string;
  soPin: string;
  /** Environment to pass to child processes (and to apply in-process before C_Initialize). */
  env: NodeJS.ProcessEnv;
  tokens: TestTokenSpec[];
}

/** The standard test token: P-256 (01), P-384 (02), RSA-3072 (03), Ed25519 (04). */
export const STANDARD_TOKEN: TestTokenSpec = {
  label: 'airsign-test',
  keys: [
    { type: 'EC:prime256v1', id: '01', label: 'ec-p256' },
    { type: 'EC:secp384r1', id: '02', label: 'ec-p384' },
    { type: 'rsa:3072', id: '03', label: 'rsa-3072' },
    { type: 'EC:edwards25519', id: '04', label: 'ed25519' },
  ],
};

export function createSoftHsm(tokens: TestTokenSpec[] = [STANDARD_TOKEN], options: { pin?: string; dir?: string } = {}): SoftHsm {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'airsign-hsm-'));
  const tokenDir = join(dir, 'tokens');
  mkdirSync(tokenDir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, [
    `directories.tokendir = ${tokenDir}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    'slots.mechanisms = ALL',
    'library.reset_on_fork = false',
    '',
  ].join('\n'));
  const pin = options.pin ?? '1234';
  const soPin = '5678';
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  for (const token of tokens) {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token.label, '--so-pin', soPin, '--pin', pin], { env, stdio: 'pipe' });
    for (const key of token.keys) {
      execFileSync('pkcs11-tool', [
        '--module', SOFTHSM_MODULE, '--token-label', token.label, '--login', '--pin', pin,
        '--keypairgen', '--key-type', key.type, '--id', key.id, '--label', key.label, '--usage-sign',
      ], { env, stdio: 'pipe' });
    }
  }
  return { dir, conf, module: SOFTHSM_MODULE, pin, soPin, env, tokens };
}

/** Makes this process's PKCS#11 calls use the test token store (SoftHSM reads it at C_Initialize). */
export function useSoftHsmInProcess(hsm: SoftHsm): void {
  process.env.SOFTHSM2_CONF = hsm.conf;
}

/** Exports a token public key as PEM with GnuTLS p11tool (a peer; pkcs11-tool mangles P-384/Ed25519). */
export function exportPublicKeyWithP11tool(hsm: SoftHsm, token: string, object: string): string {
  return execFileSync('p11tool', ['--provider', hsm.module, '--login', '--export-pubkey', `pkcs11:token=${token};object=${object};type=public`], {
    env: { ...hsm.env, GNUTLS_PIN: hsm.pin },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
