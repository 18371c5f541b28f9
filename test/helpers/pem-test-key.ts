/**
 * Test keys for x509/openpgp tests: a private key file made by `openssl genpkey` (a peer),
 * opened through the real file backend (openKey).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { KeyBackend, KeyType } from '../../src/key-backend.js';
import { openKey } from '../../src/keys/open-key.js';

const GENPKEY_ARGS: Record<KeyType, string[]> = {
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'ecdsa-p521': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  'rsa-4096': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4096'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** Makes `<dir>/<name>.pem` with openssl genpkey and returns its path. */
export function opensslGenerateKey(dir: string, name: string, type: KeyType): string {
  const path = join(dir, `${name}.pem`);
  execFileSync('openssl', ['genpkey', ...GENPKEY_ARGS[type], '-out', path], { stdio: 'pipe' });
  return path;
}

/** openssl genpkey + the file backend; checks the backend reports the expected type. */
export async function generateFileKey(dir: string, name: string, type: KeyType): Promise<KeyBackend> {
  const key = await openKey(opensslGenerateKey(dir, name, type), { env: {} });
  if (key.keyType !== type) throw new Error(`file backend says ${key.keyType}, expected ${type}`);
  return key;
}
