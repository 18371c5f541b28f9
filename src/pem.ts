/**
 * The one PEM codec (RFC 7468) for certificates, public keys and cosign key files: base64 between
 * BEGIN/END lines. Strict enough to reject garbage, lenient about line lengths and CRLF, as OpenSSL is.
 */
import { airsignError } from './errors.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Encodes DER as one PEM block with 64-column lines and a trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every PEM block in `text`, in order. Throws input PEM_INVALID on bad base64 inside a block. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? '';
    const body = (match[2] ?? '').replace(/\s+/g, '');
    if (/^[A-Za-z-]+:/m.test(match[2] ?? '')) {
      throw airsignError('PEM_INVALID', `PEM block "${label}" has headers (encrypted or legacy PEM is not supported here)`);
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw airsignError('PEM_INVALID', `PEM block "${label}" is not valid base64`);
    }
    blocks.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/** The DER bytes of every block labelled `label`, in order (none: empty). */
export function decodePemLabel(text: string, label: string): Uint8Array[] {
  return decodePemBlocks(text).filter((b) => b.label === label).map((b) => b.der);
}

/** The DER certificates in a PEM text (label CERTIFICATE), in order; throws when there are none. */
export function decodePemCertificates(text: string, what = 'input'): Uint8Array[] {
  const certs = decodePemLabel(text, 'CERTIFICATE');
  if (certs.length === 0) throw airsignError('CERT_PEM_EMPTY', `${what} contains no PEM CERTIFICATE block`);
  return certs;
}
