/** Checks a certificate's signature against an issuer public key (node:crypto, not our code). */
import { X509Certificate, createPublicKey } from 'node:crypto';
import { airsignError } from '../errors.js';

/**
 * True when `certificateDer` is signed by the key in `issuerSpki` (DER SubjectPublicKeyInfo).
 * Throws input CERT_INVALID when the certificate does not parse, key KEY_PUBLIC_KEY_INVALID when
 * the key does not. Says nothing about validity dates, extensions or trust.
 */
export function verifyCertificateSignature(certificateDer: Uint8Array, issuerSpki: Uint8Array): boolean {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificateDer);
  } catch (error) {
    throw airsignError('CERT_INVALID', `not a DER X.509 certificate: ${(error as Error).message}`, { cause: error });
  }
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(issuerSpki), format: 'der', type: 'spki' });
  } catch (error) {
    throw airsignError('KEY_PUBLIC_KEY_INVALID', 'the issuer public key is not a DER SubjectPublicKeyInfo', { cause: error });
  }
  return certificate.verify(key);
}
