/**
 * Makes new file keys (for tests, demos and sites without an HSM): PKCS#8 PEM, or cosign's
 * encrypted format when a password is given.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { airsignError } from '../errors.js';
import { encryptCosignKey } from './cosign-key-file.js';

/** Key types generateKeyPair / generateKeyFiles make. */
export const GENERATE_KEY_TYPES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519'] as const;
export type GenerateKeyType = (typeof GENERATE_KEY_TYPES)[number];

export interface GenerateKeyOptions {
  /** Encrypt in cosign's format with this password (`ENCRYPTED SIGSTORE PRIVATE KEY`). */
  cosign?: string;
  /** scrypt N for the cosign format (default 65536). */
  scryptN?: number;
}

export interface GeneratedKeyPair {
  /** Private key PEM: PKCS#8 `PRIVATE KEY`, or cosign's encrypted PEM. */
  privateKeyPem: string;
  /** SPKI `PUBLIC KEY` PEM. */
  publicKeyPem: string;
}

function newKeyPair(type: GenerateKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (type) {
    case 'ecdsa-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ecdsa-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'rsa-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 65537 });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    default:
      throw airsignError('KEY_TYPE_UNKNOWN', `unknown key type ${String(type)} (use ${GENERATE_KEY_TYPES.join(', ')})`);
  }
}

/** Generates a key pair and returns both PEMs. */
export async function generateKeyPair(type: GenerateKeyType, options: GenerateKeyOptions = {}): Promise<GeneratedKeyPair> {
  const { privateKey, publicKey } = newKeyPair(type);
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  if (options.cosign !== undefined) {
    const der = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    try {
      const privateKeyPem = await encryptCosignKey(der, options.cosign, options.scryptN === undefined ? {} : { N: options.scryptN });
      return { privateKeyPem, publicKeyPem };
    } finally {
      der.fill(0);
    }
  }
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKeyPem };
}

