/**
 * The post-sign self-check: a signature we just made is checked against the signer's
 * SubjectPublicKeyInfo with node:crypto, so a format refuses to write a signature that would not
 * verify (a wrong HSM mechanism, a bad encoding) before anything reaches the layout. Not the
 * `verify-signature` command (src/operations/verify-signature.ts), which checks signatures of others.
 */
import { constants, createPublicKey, verify } from 'node:crypto';
import { airsignError } from '../errors.js';
import type { SignatureScheme } from '../key-backend.js';
import { hashLength } from '../keys/signature-encoding.js';

/** True when `signature` over `message` verifies under `spki` with `scheme`. */
export function ownSignatureVerifies(spki: Uint8Array, message: Uint8Array, signature: Uint8Array, scheme: SignatureScheme): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  try {
    switch (scheme.algorithm) {
      case 'ed25519':
        return verify(null, message, key, signature);
      case 'ecdsa':
        return verify(scheme.hash, message, { key, dsaEncoding: scheme.encoding === 'raw' ? 'ieee-p1363' : 'der' }, signature);
      case 'rsa-pss':
        return verify(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength(scheme.hash) }, signature);
      case 'rsa-pkcs1':
        return verify(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** Throws SIGNATURE_SELF_CHECK_FAILED (exit 3) unless the signature verifies. */
export function assertOwnSignatureVerifies(what: string, spki: Uint8Array, message: Uint8Array, signature: Uint8Array, scheme: SignatureScheme): void {
  if (!ownSignatureVerifies(spki, message, signature, scheme)) {
    throw airsignError('SIGNATURE_SELF_CHECK_FAILED', `the ${what} signature just made does not verify with the key's public key; nothing was written`, {
      details: { format: what, algorithm: scheme.algorithm },
    });
  }
}
