/**
 * PEM public keys (SubjectPublicKeyInfo, "PUBLIC KEY" blocks) as KeyObjects: what `verify --key`,
 * `verify-signature --key` and a containers policy's keyPath/keyData hold. Knows keys, not envelopes.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { airsignError } from '../errors.js';
import { decodePemBlocks } from '../pem.js';

/** Reads PEM public keys (SPKI, "PUBLIC KEY"); throws key KEY_PUBLIC_KEY_INVALID. */
export function parsePublicKeysPem(text: string, what: string): KeyObject[] {
  const blocks = decodePemBlocks(text).filter((b) => b.label === 'PUBLIC KEY');
  if (blocks.length === 0) throw airsignError('KEY_PUBLIC_KEY_INVALID', `${what} holds no PEM PUBLIC KEY`);
  return blocks.map((b) => {
    try {
      return createPublicKey({ key: Buffer.from(b.der), format: 'der', type: 'spki' });
    } catch (e) {
      throw airsignError('KEY_PUBLIC_KEY_INVALID', `${what} holds a public key that cannot be read`, { cause: e });
    }
  });
}
