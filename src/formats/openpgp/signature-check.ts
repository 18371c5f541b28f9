/**
 * Reading and checking v3 and v4 OpenPGP signature packets against v4 public-key packets (RFC 4880
 * §5.2.2-4, §5.5.2; RFC 9580 for EdDSALegacy): the packet fields and subpackets a verifier needs,
 * the public key (a Node KeyObject for RSA, DSA, ECDSA on NIST curves and Ed25519; @noble/curves
 * for ECDSA on the brainpool curves, which Node's JWK import does not name), and the signature math
 * over "data ‖ hashed part ‖ trailer" (v3: "data ‖ type ‖ creation time"). Pure checks; whether a
 * good signature is *trusted* is the caller's decision.
 */
import { createHash, createPublicKey, constants, verify, type KeyObject } from 'node:crypto';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { airsignError, type ErrorCode } from '../../errors.js';
import { dsaPublicKey } from './dsa-public-key.js';
import { readMpi } from './packet-reader.js';
import { concatBytes, uint32 } from './packets.js';

export interface ParsedSignature {
  version: number;
  type: number;
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  /** The hashed part (version … hashed subpackets), what the trailer counts. */
  hashedPart: Uint8Array;
  creationTime?: number;
  /** Seconds after creation; 0 or undefined = never. */
  expirationSeconds?: number;
  keyExpirationSeconds?: number;
  keyFlags?: number;
  /** Issuer key ID (16 hex, upper case) from subpacket 16 or 33. */
  issuerKeyId?: string;
  issuerFingerprint?: string;
  /** Embedded signature (subpacket 32), e.g. a primary key binding back-signature. */
  embedded?: Uint8Array;
  hashPrefix: Uint8Array;
  /** Signature MPIs. */
  mpis: Uint8Array[];
}

export interface ParsedPublicKey {
  /** The packet body (what fingerprints and certifications hash). */
  body: Uint8Array;
  algorithm: number;
  creationTime: number;
  /** 40 hex digits, upper case. */
  fingerprint: string;
  /** 16 hex digits, upper case. */
  keyId: string;
  /** Undefined for algorithms we cannot verify with. */
  key?: KeyObject;
  ed25519?: boolean;
  /** ECDSA on a brainpool curve: the curve and the uncompressed point. */
  brainpool?: { curve: keyof typeof BRAINPOOL; point: Uint8Array };
  /** What the key is, in words ("RSA", "ECDSA brainpoolP384r1", "ECDH", "algorithm 16"). */
  describe: string;
}

const HASHES: Record<number, string> = { 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };

const CURVES: Record<string, string> = {
  '2a8648ce3d030107': 'P-256',
  '2b81040022': 'P-384',
  '2b81040023': 'P-521',
};
const BRAINPOOL = { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 };
const BRAINPOOL_OIDS: Record<string, keyof typeof BRAINPOOL> = {
  '2b2403030208010107': 'brainpoolP256r1',
  '2b240303020801010b': 'brainpoolP384r1',
  '2b240303020801010d': 'brainpoolP512r1',
};
const ED25519_OID = '2b06010401da470f01';
const ALGORITHM_NAMES: Record<number, string> = { 1: 'RSA', 2: 'RSA (encrypt only)', 3: 'RSA (sign only)', 16: 'ElGamal', 17: 'DSA', 18: 'ECDH', 19: 'ECDSA', 22: 'EdDSA', 25: 'X25519', 26: 'X448', 27: 'Ed25519', 28: 'Ed448' };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** Parses a v4 public-key or public-subkey packet body. */
export function parsePublicKey(body: Uint8Array, code: ErrorCode, what: string): ParsedPublicKey {
  const fail = (message: string): never => {
    throw airsignError(code, `${what}: ${message}`);
  };
  if (body.length < 6) fail('truncated public key');
  if (body[0] !== 4) fail(`public key version ${body[0]} is not supported (only v4)`);
  const creationTime = ((body[1]! << 24) >>> 0) + (body[2]! << 16) + (body[3]! << 8) + body[4]!;
  const algorithm = body[5]!;
  const fingerprint = hex(new Uint8Array(createHash('sha1').update(Uint8Array.of(0x99, body.length >> 8, body.length & 0xff)).update(body).digest()));
  const result: ParsedPublicKey = { body, algorithm, creationTime, fingerprint, keyId: fingerprint.slice(24), describe: ALGORITHM_NAMES[algorithm] ?? `public-key algorithm ${algorithm}` };
  try {
    if (algorithm === 1 || algorithm === 3) {
      const n = readMpi(body, 6, fail);
      const e = readMpi(body, n.next, fail);
      result.key = createPublicKey({ key: { kty: 'RSA', n: b64u(n.value), e: b64u(e.value) }, format: 'jwk' });
    } else if (algorithm === 17) {
      const p = readMpi(body, 6, fail);
      const q = readMpi(body, p.next, fail);
      const g = readMpi(body, q.next, fail);
      const y = readMpi(body, g.next, fail);
      result.key = dsaPublicKey(p.value, q.value, g.value, y.value);
    } else if (algorithm === 18 || algorithm === 19 || algorithm === 22) {
      const oidLength = body[6]!;
      const oid = Buffer.from(body.subarray(7, 7 + oidLength)).toString('hex');
      const point = readMpi(body, 7 + oidLength, fail).value;
      const curveName = CURVES[oid] ?? BRAINPOOL_OIDS[oid] ?? (oid === ED25519_OID ? 'Ed25519' : `curve OID ${oid}`);
      result.describe = `${result.describe} ${curveName}`;
      if (algorithm === 22 && oid === ED25519_OID && point.length === 33 && point[0] === 0x40) {
        result.key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(point.subarray(1)) }, format: 'jwk' });
        result.ed25519 = true;
      } else if (algorithm === 19 && CURVES[oid] !== undefined && point[0] === 0x04) {
        const half = (point.length - 1) / 2;
        result.key = createPublicKey({ key: { kty: 'EC', crv: CURVES[oid], x: b64u(point.subarray(1, 1 + half)), y: b64u(point.subarray(1 + half)) }, format: 'jwk' });
      } else if (algorithm === 19 && BRAINPOOL_OIDS[oid] !== undefined && point[0] === 0x04) {
        const curve = BRAINPOOL_OIDS[oid];
        BRAINPOOL[curve].Point.fromBytes(point).assertValidity();
        result.brainpool = { curve, point };
      }
    }
  } catch (e) {
    if (e instanceof Error && 'kind' in e) throw e;
    fail(`the public key material is invalid (${(e as Error).message})`);
  }
  return result;
}

/** Parses a signature packet body (v3 or v4). */
export function parseSignature(body: Uint8Array, code: ErrorCode, what: string): ParsedSignature {
  const fail = (message: string): never => {
    throw airsignError(code, `${what}: ${message}`);
  };
  if (body.length < 6) fail('truncated signature packet');
  if (body[0] === 3 || body[0] === 2) return parseV3Signature(body, fail);
  if (body[0] !== 4) fail(`signature version ${body[0]} is not supported (only v3 and v4)`);
  const hashedLength = (body[4]! << 8) | body[5]!;
  if (6 + hashedLength + 2 > body.length) fail('truncated signature subpackets');
  const hashedPart = body.subarray(0, 6 + hashedLength);
  const unhashedLength = (body[6 + hashedLength]! << 8) | body[7 + hashedLength]!;
  const unhashedStart = 8 + hashedLength;
  if (unhashedStart + unhashedLength + 2 > body.length) fail('truncated signature subpackets');
  const sig: ParsedSignature = {
    version: 4,
    type: body[1]!,
    publicKeyAlgorithm: body[2]!,
    hashAlgorithm: body[3]!,
    hashedPart,
    hashPrefix: body.subarray(unhashedStart + unhashedLength, unhashedStart + unhashedLength + 2),
    mpis: [],
  };
  readSubpackets(body.subarray(6, 6 + hashedLength), sig, true, fail);
  readSubpackets(body.subarray(unhashedStart, unhashedStart + unhashedLength), sig, false, fail);
  sig.mpis = readSignatureValues(body, unhashedStart + unhashedLength + 2, fail);
  return sig;
}

/**
 * A v3 signature (RFC 4880 §5.2.2): five hashed octets (type, creation time), the issuer key ID,
 * the algorithms, the hash prefix and the MPIs. Version 2 is the same layout.
 */
function parseV3Signature(body: Uint8Array, fail: (m: string) => never): ParsedSignature {
  if (body.length < 19) fail('truncated signature packet');
  if (body[1] !== 5) fail(`a v3 signature hashes 5 octets, not ${body[1]}`);
  const sig: ParsedSignature = {
    version: 3,
    type: body[2]!,
    publicKeyAlgorithm: body[15]!,
    hashAlgorithm: body[16]!,
    hashedPart: body.subarray(2, 7),
    creationTime: ((body[3]! << 24) >>> 0) + (body[4]! << 16) + (body[5]! << 8) + body[6]!,
    issuerKeyId: hex(body.subarray(7, 15)),
    hashPrefix: body.subarray(17, 19),
    mpis: [],
  };
  sig.mpis = readSignatureValues(body, 19, fail);
  return sig;
}

/** The signature's MPIs, from `start` to the end of the packet body (at least one). */
function readSignatureValues(body: Uint8Array, start: number, fail: (m: string) => never): Uint8Array[] {
  const mpis: Uint8Array[] = [];
  for (let pos = start; pos < body.length; ) {
    const m = readMpi(body, pos, fail);
    mpis.push(m.value);
    pos = m.next;
  }
  if (mpis.length === 0) fail('the signature has no value');
  return mpis;
}

function readSubpackets(data: Uint8Array, sig: ParsedSignature, hashed: boolean, fail: (m: string) => never): void {
  let pos = 0;
  while (pos < data.length) {
    const first = data[pos++]!;
    let length: number;
    if (first < 192) length = first;
    else if (first < 255) {
      if (pos >= data.length) fail('truncated subpacket');
      length = ((first - 192) << 8) + data[pos++]! + 192;
    } else {
      if (pos + 4 > data.length) fail('truncated subpacket');
      length = ((data[pos]! << 24) >>> 0) + (data[pos + 1]! << 16) + (data[pos + 2]! << 8) + data[pos + 3]!;
      pos += 4;
    }
    if (length === 0 || pos + length > data.length) fail('bad subpacket length');
    const type = data[pos]! & 0x7f;
    const critical = (data[pos]! & 0x80) !== 0;
    const value = data.subarray(pos + 1, pos + length);
    pos += length;
    const u32 = () => (value.length === 4 ? ((value[0]! << 24) >>> 0) + (value[1]! << 16) + (value[2]! << 8) + value[3]! : fail('bad time subpacket'));
    // Only hashed subpackets are trusted for anything but the issuer hint.
    switch (type) {
      case 2:
        if (hashed) sig.creationTime = u32();
        break;
      case 3:
        if (hashed) sig.expirationSeconds = u32();
        break;
      case 9:
        if (hashed) sig.keyExpirationSeconds = u32();
        break;
      case 27:
        if (hashed) sig.keyFlags = value[0] ?? 0;
        break;
      case 16:
        if (value.length === 8) sig.issuerKeyId ??= hex(value);
        break;
      case 33:
        if (value.length === 21 && value[0] === 4) {
          sig.issuerFingerprint ??= hex(value.subarray(1));
          sig.issuerKeyId ??= hex(value.subarray(13));
        }
        break;
      case 32:
        sig.embedded = value;
        break;
      default:
        if (critical && hashed) fail(`unknown critical subpacket ${type}`);
    }
  }
}

/** True when `sig` by `key` verifies over `data` (the bytes its type covers, before the hashed part). */
export function signatureVerifies(sig: ParsedSignature, key: ParsedPublicKey, data: Uint8Array[]): boolean {
  return signatureProblem(sig, key, data) === undefined;
}

export interface SignatureProblem {
  /** `unsupported`: airsign cannot check it (algorithm, curve, hash); `invalid`: the math says no. */
  kind: 'unsupported' | 'invalid';
  reason: string;
}

/**
 * Why `sig` by `key` does not verify over `data`, in words, or undefined when it verifies. Says
 * what is unsupported (an algorithm, a curve, a hash) rather than calling the signature changed.
 */
export function signatureProblem(sig: ParsedSignature, key: ParsedPublicKey, data: Uint8Array[]): SignatureProblem | undefined {
  const hashName = HASHES[sig.hashAlgorithm];
  if (hashName === undefined) return { kind: 'unsupported', reason: `it uses hash algorithm ${sig.hashAlgorithm}, which airsign does not support (SHA-1, SHA-224/256/384/512 are)` };
  if (sig.publicKeyAlgorithm !== key.algorithm) {
    return { kind: 'invalid', reason: `it says it was made with ${ALGORITHM_NAMES[sig.publicKeyAlgorithm] ?? `public-key algorithm ${sig.publicKeyAlgorithm}`}, but key ${key.keyId} is ${key.describe}` };
  }
  if (key.key === undefined && key.brainpool === undefined) return { kind: 'unsupported', reason: `key ${key.keyId} is ${key.describe}, which airsign cannot verify signatures with` };
  const trailer = sig.version === 4 ? concatBytes(Uint8Array.of(4, 0xff), uint32(sig.hashedPart.length)) : new Uint8Array(0);
  const signed = concatBytes(...data, sig.hashedPart, trailer);
  const digest = new Uint8Array(createHash(hashName).update(signed).digest());
  const changed: SignatureProblem = { kind: 'invalid', reason: 'the signed data or the signature was changed' };
  if (digest[0] !== sig.hashPrefix[0] || digest[1] !== sig.hashPrefix[1]) return changed;
  let good = false;
  try {
    if (key.brainpool !== undefined) {
      const curve = BRAINPOOL[key.brainpool.curve];
      const width = (key.brainpool.point.length - 1) / 2;
      good = sig.mpis.length === 2 && curve.verify(concatBytes(leftPad(sig.mpis[0]!, width), leftPad(sig.mpis[1]!, width)), digest, key.brainpool.point, { prehash: false, lowS: false });
    } else if (key.key === undefined) {
      good = false;
    } else if (key.algorithm === 1 || key.algorithm === 3) {
      const size = Math.ceil((key.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      good = verify(hashName, signed, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, leftPad(sig.mpis[0]!, size));
    } else if (key.ed25519) {
      good = sig.mpis.length === 2 && verify(null, digest, key.key, concatBytes(leftPad(sig.mpis[0]!, 32), leftPad(sig.mpis[1]!, 32)));
    } else if (key.algorithm === 19 || key.algorithm === 17) {
      const curve = key.key.asymmetricKeyDetails?.namedCurve;
      const width = key.algorithm === 17 ? Math.ceil((key.key.asymmetricKeyDetails?.divisorLength ?? 0) / 8)
        : curve === 'secp521r1' ? 66 : curve === 'secp384r1' ? 48 : 32;
      good = sig.mpis.length === 2 && sig.mpis.every((m) => m.length <= width)
        && verify(hashName, signed, { key: key.key, dsaEncoding: 'ieee-p1363' }, concatBytes(leftPad(sig.mpis[0]!, width), leftPad(sig.mpis[1]!, width)));
    }
  } catch {
    good = false;
  }
  return good ? undefined : changed;
}

/** What a key or subkey certification hashes: 0x99 ‖ length ‖ body. */
export function keyHashData(key: ParsedPublicKey): Uint8Array {
  return concatBytes(Uint8Array.of(0x99, key.body.length >> 8, key.body.length & 0xff), key.body);
}

function leftPad(value: Uint8Array, size: number): Uint8Array {
  if (value.length >= size) return value;
  const out = new Uint8Array(size);
  out.set(value, size - value.length);
  return out;
}

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
