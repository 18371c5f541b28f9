/** PEM text for tests, read without a peer (so unit tests can use it). */

/** The DER bytes of every CERTIFICATE block in the PEM text, in order. */
export function pemToDer(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}
