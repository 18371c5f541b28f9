/**
 * EMSA-PSS encoding (RFC 8017 §9.1.1) of a precomputed digest, with MGF1 over the same hash and
 * salt length = hash length. Lets a software RSA key sign a digest (node:crypto only signs messages
 * for PSS): the encoded block goes through a raw RSA private operation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { HashAlgorithm } from '../key-backend.js';
import { checkDigestLength, hashLength } from './signature-encoding.js';

function mgf1(hash: HashAlgorithm, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  for (let offset = 0, i = 0; offset < length; i++) {
    new DataView(counter.buffer).setUint32(0, i);
    const block = createHash(hash).update(seed).update(counter).digest();
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}

/** Returns the `modulusBytes`-long block to raise to the private exponent. */
export function emsaPssEncode(hash: HashAlgorithm, digest: Uint8Array, modulusBits: number): Uint8Array {
  checkDigestLength(hash, digest);
  const hLen = hashLength(hash);
  const sLen = hLen;
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(sLen);
  const h = createHash(hash).update(new Uint8Array(8)).update(digest).update(salt).digest();
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - sLen - 1] = 0x01;
  db.set(salt, db.length - sLen);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const modulusBytes = Math.ceil(modulusBits / 8);
  const out = new Uint8Array(modulusBytes);
  const em = new Uint8Array(emLen);
  em.set(db, 0);
  em.set(h, db.length);
  em[emLen - 1] = 0xbc;
  out.set(em, modulusBytes - emLen);
  return out;
}
