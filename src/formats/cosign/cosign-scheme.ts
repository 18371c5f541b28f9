/**
 * How cosign-family signatures are made for each key type, and their algorithm names for records.
 * `cosign verify --key` loads the public key with sigstore's LoadVerifier(pub, SHA-256): ECDSA over
 * SHA-256 (any curve) with ASN.1 DER signatures, RSA PKCS#1 v1.5 with SHA-256, and PURE Ed25519
 * (cosign signs Ed25519 as Ed25519ph only for its own keys; the verifier for a PEM public key is the
 * pure one, and containers/image accepts only pure Ed25519).
 */
import type { KeyType, SignatureScheme } from '../../key-backend.js';

export function cosignScheme(keyType: KeyType): SignatureScheme {
  if (keyType.startsWith('ecdsa-')) return { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' };
  if (keyType.startsWith('rsa-')) return { algorithm: 'rsa-pkcs1', hash: 'sha256' };
  return { algorithm: 'ed25519' };
}

/** A short name for the signing record, e.g. ECDSA-P256-SHA256. */
export function cosignAlgorithmName(keyType: KeyType): string {
  if (keyType.startsWith('ecdsa-')) return `ECDSA-${keyType.slice(6).toUpperCase()}-SHA256`;
  if (keyType.startsWith('rsa-')) return `RSA-PKCS1v15-${keyType.slice(4)}-SHA256`;
  return 'Ed25519';
}

