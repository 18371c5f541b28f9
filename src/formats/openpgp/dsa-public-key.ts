/**
 * An OpenPGP DSA public key (p, q, g, y; RFC 4880 §5.5.2) as a Node KeyObject: OpenSSL does the
 * DSA arithmetic, we only write the SubjectPublicKeyInfo it reads (RFC 3279 §2.3.2:
 * `SEQUENCE { SEQUENCE { id-dsa, SEQUENCE { p, q, g } }, BIT STRING { INTEGER y } }`).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** 1.2.840.10040.4.1 */
const ID_DSA = Uint8Array.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01);

export function dsaPublicKey(p: Uint8Array, q: Uint8Array, g: Uint8Array, y: Uint8Array): KeyObject {
  const parameters = tlv(0x30, integer(p), integer(q), integer(g));
  const algorithm = tlv(0x30, ID_DSA, parameters);
  const publicKey = tlv(0x03, Uint8Array.of(0), integer(y));
  return createPublicKey({ key: Buffer.from(tlv(0x30, algorithm, publicKey)), format: 'der', type: 'spki' });
}

function integer(unsigned: Uint8Array): Uint8Array {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const magnitude = unsigned.subarray(start);
  const body = magnitude.length === 0 || (magnitude[0]! & 0x80) !== 0 ? concat(Uint8Array.of(0), magnitude) : magnitude;
  return tlv(0x02, body);
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const length: number[] = [];
  if (body.length < 0x80) length.push(body.length);
  else {
    for (let n = body.length; n > 0; n >>>= 8) length.unshift(n & 0xff);
    length.unshift(0x80 | length.length);
  }
  return concat(Uint8Array.of(tag, ...length), body);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
