/** Signature checks for key tests: node:crypto and the openssl CLI (a peer). */
import { execFileSync } from 'node:child_process';
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HashAlgorithm, SignatureScheme } from '../../src/key-backend.js';
import { rawToDerEcdsa } from '../../src/keys/signature-encoding.js';

let scratch: string | undefined;

/** True when openssl accepts `signature` over `message` under SPKI PEM `pubPem`. */
export function opensslVerifies(pubPem: string, message: Uint8Array, signature: Uint8Array, scheme: SignatureScheme): boolean {
  scratch ??= mkdtempSync(join(tmpdir(), 'airsign-ossl-'));
  const pub = join(scratch, 'pub.pem');
  const msg = join(scratch, 'msg');
  const sig = join(scratch, 'sig');
  writeFileSync(pub, pubPem);
  writeFileSync(msg, message);
  writeFileSync(sig, scheme.algorithm === 'ecdsa' && scheme.encoding === 'raw' ? rawToDerEcdsa(signature) : signature);
  const args =
    scheme.algorithm === 'ed25519'
      ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sig]
      : ['dgst', `-${scheme.hash}`, '-verify', pub, '-signature', sig,
        ...(scheme.algorithm === 'rsa-pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest', '-sigopt', `rsa_mgf1_md:${scheme.hash}`] : []), msg];
  try {
    return /Verified OK|Signature Verified Successfully/.test(execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return false;
  }
}

export function nodeVerifies(spki: Uint8Array, message: Uint8Array, signature: Uint8Array, scheme: SignatureScheme): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  switch (scheme.algorithm) {
    case 'ed25519':
      return verify(null, message, key, signature);
    case 'ecdsa':
      return verify(scheme.hash, message, { key, dsaEncoding: scheme.encoding === 'raw' ? 'ieee-p1363' : 'der' }, signature);
    case 'rsa-pss':
      return verify(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(scheme.hash).digest().length }, signature);
    case 'rsa-pkcs1':
      return verify(scheme.hash, message, key, signature);
  }
}

/** Every scheme a key of `keyType` can make. */
export function schemesFor(keyType: string): SignatureScheme[] {
  const hashes: HashAlgorithm[] = ['sha256', 'sha384', 'sha512'];
  if (keyType.startsWith('ecdsa')) return hashes.flatMap((hash) => [{ algorithm: 'ecdsa', hash, encoding: 'raw' } as const, { algorithm: 'ecdsa', hash, encoding: 'der' } as const]);
  if (keyType.startsWith('rsa')) return hashes.flatMap((hash) => [{ algorithm: 'rsa-pss', hash } as const, { algorithm: 'rsa-pkcs1', hash } as const]);
  return [{ algorithm: 'ed25519' }];
}

/** The AirsignError a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code: string; kind: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; kind: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
