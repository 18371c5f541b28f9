/** OpenPGP ASCII armor (RFC 4880 §6): base64 body and a CRC-24 checksum line. */
import { concatBytes } from './packets.js';

export type ArmorType = 'PGP PUBLIC KEY BLOCK' | 'PGP MESSAGE' | 'PGP SIGNATURE';

/** CRC-24 as RFC 4880 §6.1 defines it (init 0xB704CE, generator 0x1864CFB). */
export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export function armor(type: ArmorType, data: Uint8Array): Uint8Array {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  const crc = crc24(data);
  const checksum = Buffer.from(concatBytes(Uint8Array.of((crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff))).toString('base64');
  const text = [`-----BEGIN ${type}-----`, '', ...lines, `=${checksum}`, `-----END ${type}-----`, ''].join('\n');
  return new TextEncoder().encode(text);
}
