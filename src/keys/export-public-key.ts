/** Public-key exports of a backend: SPKI PEM (what cosign --key and openssl take). */
import { createHash } from 'node:crypto';
import type { KeyBackend } from '../key-backend.js';
import { encodePem } from '../pem.js';

/** SPKI `PUBLIC KEY` PEM of the backend's key. */
export async function exportPublicKeyPem(backend: KeyBackend): Promise<string> {
  return encodePem('PUBLIC KEY', await backend.publicKeySpki());
}

/** `sha256:<hex>` of the DER SPKI, a stable key fingerprint for reports. */
export async function spkiFingerprint(backend: KeyBackend): Promise<string> {
  return `sha256:${createHash('sha256').update(await backend.publicKeySpki()).digest('hex')}`;
}
