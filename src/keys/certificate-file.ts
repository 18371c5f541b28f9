/** Reads a PEM certificate chain (leaf first) and checks that its leaf matches a key. */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { airsignError } from '../errors.js';
import { fsErrorText } from '../fs/fs-error-text.js';
import { decodePemLabel } from '../pem.js';

/** All `CERTIFICATE` blocks of a PEM file, DER, in file order (leaf first by convention). */
export async function readCertificateChain(path: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw airsignError('KEY_CERT_UNREADABLE', `cannot read certificate file ${path}: ${fsErrorText(error)}`, {
      details: { path },
    });
  }
  let chain: Uint8Array[];
  try {
    chain = decodePemLabel(text, 'CERTIFICATE');
  } catch (error) {
    throw airsignError('KEY_CERT_INVALID', `${path} holds a PEM block that is not valid base64`, { details: { path }, cause: error });
  }
  if (chain.length === 0) throw airsignError('KEY_CERT_INVALID', `${path} holds no PEM CERTIFICATE`, { details: { path } });
  for (const der of chain) {
    try {
      new X509Certificate(der);
    } catch (error) {
      throw airsignError('KEY_CERT_INVALID', `${path} holds a certificate that does not parse`, { details: { path }, cause: error });
    }
  }
  return chain;
}

/** Throws KEY_CERT_MISMATCH unless the leaf certificate's public key equals `spki`. */
export function assertLeafMatchesKey(leaf: Uint8Array, spki: Uint8Array, where: string): void {
  const leafSpki = new X509Certificate(leaf).publicKey.export({ format: 'der', type: 'spki' });
  if (!Buffer.from(leafSpki).equals(Buffer.from(spki))) {
    throw airsignError('KEY_CERT_MISMATCH', `the certificate ${where} is not for this key (public keys differ)`);
  }
}
