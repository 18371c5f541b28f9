/** Public-key exports: SPKI PEM (what cosign --key and openssl take) and its fingerprint. */
import { createHash } from 'node:crypto';
import { encodePem } from '../pem.js';

/** SPKI `PUBLIC KEY` PEM of a DER SubjectPublicKeyInfo. */
export function publicKeyPem(spki: Uint8Array): string {
  return encodePem('PUBLIC KEY', spki);
}

/** `sha256:<hex>` of the DER SPKI, a stable key fingerprint for reports. */
export function spkiFingerprint(spki: Uint8Array): string {
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
