/**
 * OpenPGP wire encoding (RFC 4880 / RFC 9580 v4 parts): packet framing with new-format headers
 * and definite lengths, multiprecision integers, signature subpackets. Pure byte functions,
 * reused by the public-key export and the message signer.
 */

/** Packet tags we write. */
export const PacketTag = {
  Signature: 2,
  OnePassSignature: 4,
  PublicKey: 6,
  LiteralData: 11,
  UserId: 13,
} as const;

/** Public-key algorithm ids. */
export const PublicKeyAlgorithm = {
  RsaEncryptOrSign: 1,
  Ecdsa: 19,
  /** "EdDSALegacy" in RFC 9580: Ed25519 with the curve OID 1.3.6.1.4.1.11591.15.1. */
  EdDsaLegacy: 22,
} as const;

/** Hash algorithm ids. */
export const HashAlgorithmId = { sha256: 8, sha384: 9, sha512: 10 } as const;

/** Signature subpacket types. */
export const SubpacketType = {
  SignatureCreationTime: 2,
  SignatureExpirationTime: 3,
  Issuer: 16,
  PreferredHashAlgorithms: 21,
  KeyFlags: 27,
  Features: 30,
  IssuerFingerprint: 33,
} as const;

/** Signature types. */
export const SignatureType = {
  BinaryDocument: 0x00,
  PositiveCertification: 0x13,
} as const;

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function uint16(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

export function uint32(value: number): Uint8Array {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** A packet with a new-format header (0xC0 | tag) and a definite 1-, 2- or 5-octet length. */
export function packet(tag: number, body: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xc0 | tag), newFormatLength(body.length), body);
}

function newFormatLength(length: number): Uint8Array {
  if (length < 192) return Uint8Array.of(length);
  if (length < 8384) {
    const rest = length - 192;
    return Uint8Array.of((rest >>> 8) + 192, rest & 0xff);
  }
  return concatBytes(Uint8Array.of(0xff), uint32(length));
}

/** An MPI: bit count (2 octets) then the big-endian magnitude without leading zero octets. */
export function mpi(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  const magnitude = bytes.subarray(start);
  const bits = magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]!));
  return concatBytes(uint16(bits), magnitude);
}

/** One signature subpacket: length (covering type and data), type, data. */
export function subpacket(type: number, data: Uint8Array): Uint8Array {
  return concatBytes(newFormatLength(data.length + 1), Uint8Array.of(type), data);
}

/** Seconds since the epoch as the 4-octet OpenPGP time. */
export function timeField(seconds: number): Uint8Array {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) throw new RangeError(`bad OpenPGP time ${seconds}`);
  return uint32(seconds);
}
