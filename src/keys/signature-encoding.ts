/**
 * Byte-level helpers shared by every key backend: ECDSA signature encodings (raw r‖s vs DER),
 * hash sizes and PKCS#1 DigestInfo prefixes, key-type detection, and SubjectPublicKeyInfo built
 * from the raw parts an HSM hands out (EC point, RSA modulus/exponent, Ed25519 point).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { airsignError } from '../errors.js';
import type { HashAlgorithm, KeyType, SignatureScheme } from '../key-backend.js';

/** Output length of each hash, in bytes. */
export function hashLength(hash: HashAlgorithm): number {
  switch (hash) {
    case 'sha256':
      return 32;
    case 'sha384':
      return 48;
    case 'sha512':
      return 64;
  }
}

export function hashMessage(hash: HashAlgorithm, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(hash).update(message).digest());
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) to which the digest is appended for RSASSA-PKCS1-v1_5. */
const DIGEST_INFO_PREFIX: Record<HashAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** DigestInfo(hash, digest) DER, the input of a raw RSA PKCS#1 v1.5 signature (CKM_RSA_PKCS). */
export function digestInfo(hash: HashAlgorithm, digest: Uint8Array): Uint8Array {
  checkDigestLength(hash, digest);
  const prefix = Buffer.from(DIGEST_INFO_PREFIX[hash], 'hex');
  const out = new Uint8Array(prefix.length + digest.length);
  out.set(prefix, 0);
  out.set(digest, prefix.length);
  return out;
}

export function checkDigestLength(hash: HashAlgorithm, digest: Uint8Array): void {
  if (digest.length !== hashLength(hash)) {
    throw airsignError('KEY_DIGEST_LENGTH', `a ${hash} digest must be ${hashLength(hash)} bytes, got ${digest.length}`);
  }
}

/** Size in bytes of one ECDSA scalar (r or s) for an EC key type. */
export function ecScalarLength(keyType: KeyType): number {
  switch (keyType) {
    case 'ecdsa-p256':
      return 32;
    case 'ecdsa-p384':
      return 48;
    case 'ecdsa-p521':
      return 66;
    default:
      throw airsignError('KEY_SCHEME_UNSUPPORTED', `${keyType} is not an ECDSA key`);
  }
}

/** RSA modulus size in bytes for an RSA key type. */
export function rsaModulusLength(keyType: KeyType): number {
  switch (keyType) {
    case 'rsa-2048':
      return 256;
    case 'rsa-3072':
      return 384;
    case 'rsa-4096':
      return 512;
    default:
      throw airsignError('KEY_SCHEME_UNSUPPORTED', `${keyType} is not an RSA key`);
  }
}

/**
 * An RSA signature as the k-byte string RFC 8017 (I2OSP) defines, where k is the modulus length:
 * some tokens drop the leading zero bytes, which are put back here. Longer than k (or more than a
 * few bytes short, which no real signature is) is refused.
 */
export function fitRsaSignature(signature: Uint8Array, modulusLength: number): Uint8Array {
  if (signature.length === modulusLength) return signature;
  if (signature.length > modulusLength || signature.length < modulusLength - 16) {
    throw airsignError('KEY_SIGNATURE_LENGTH', `the key returned a ${signature.length}-byte RSA signature; the modulus has ${modulusLength} bytes`);
  }
  const out = new Uint8Array(modulusLength);
  out.set(signature, modulusLength - signature.length);
  return out;
}

/** Throws KEY_SCHEME_UNSUPPORTED unless `scheme` can be made with a key of `keyType`. */
export function assertSchemeFits(keyType: KeyType, scheme: SignatureScheme): void {
  const family = keyType.startsWith('ecdsa-') ? 'ecdsa' : keyType.startsWith('rsa-') ? 'rsa' : 'ed25519';
  const ok =
    (family === 'ecdsa' && scheme.algorithm === 'ecdsa') ||
    (family === 'rsa' && (scheme.algorithm === 'rsa-pss' || scheme.algorithm === 'rsa-pkcs1')) ||
    (family === 'ed25519' && scheme.algorithm === 'ed25519');
  if (!ok) {
    throw airsignError('KEY_SCHEME_UNSUPPORTED', `a ${keyType} key cannot make ${scheme.algorithm} signatures`, {
      details: { keyType, algorithm: scheme.algorithm },
    });
  }
}

// ---------- ECDSA encodings ----------

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derInteger(unsigned: Uint8Array): number[] {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const body = Array.from(unsigned.subarray(start));
  if (body.length === 0) body.push(0);
  if ((body[0] as number) & 0x80) body.unshift(0);
  return [0x02, ...derLength(body.length), ...body];
}

/** Fixed-width r‖s (IEEE P1363, what CKM_ECDSA and JWS use) → ASN.1 DER `SEQUENCE { r, s }`. */
export function rawToDerEcdsa(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw airsignError('KEY_SIGNATURE_ENCODING', `a raw ECDSA signature has an even length, got ${raw.length}`);
  }
  const half = raw.length / 2;
  const body = [...derInteger(raw.subarray(0, half)), ...derInteger(raw.subarray(half))];
  return new Uint8Array([0x30, ...derLength(body.length), ...body]);
}

// ---------- key types and SPKI ----------

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

const CURVE_KEY_TYPE: Record<EcCurve, KeyType> = { 'P-256': 'ecdsa-p256', 'P-384': 'ecdsa-p384', 'P-521': 'ecdsa-p521' };

/** Key type of a node:crypto key (public or private); throws KEY_TYPE_UNSUPPORTED for anything else. */
export function keyTypeOf(key: KeyObject): KeyType {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = details.namedCurve;
    if (curve === 'prime256v1' || curve === 'P-256') return 'ecdsa-p256';
    if (curve === 'secp384r1' || curve === 'P-384') return 'ecdsa-p384';
    if (curve === 'secp521r1' || curve === 'P-521') return 'ecdsa-p521';
    throw airsignError('KEY_TYPE_UNSUPPORTED', `unsupported EC curve ${curve ?? 'unknown'} (use P-256, P-384 or P-521)`);
  }
  if (type === 'rsa') return rsaKeyType(details.modulusLength ?? 0);
  if (type === 'ed25519') return 'ed25519';
  throw airsignError('KEY_TYPE_UNSUPPORTED', `unsupported key type ${type ?? 'unknown'} (use ECDSA, RSA or Ed25519)`);
}

function rsaKeyType(modulusBits: number): KeyType {
  if (modulusBits === 2048) return 'rsa-2048';
  if (modulusBits === 3072) return 'rsa-3072';
  if (modulusBits === 4096) return 'rsa-4096';
  throw airsignError('KEY_TYPE_UNSUPPORTED', `unsupported RSA key size ${modulusBits} bits (use 2048, 3072 or 4096)`);
}

/** Key type of a DER SubjectPublicKeyInfo; throws KEY_TYPE_UNSUPPORTED for unreadable or unsupported keys. */
export function keyTypeOfSpki(spki: Uint8Array): KeyType {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw airsignError('KEY_TYPE_UNSUPPORTED', 'the public key is not a SubjectPublicKeyInfo this tool can read', { cause: error });
  }
  return keyTypeOf(key);
}

/** Key size in bits (for listings). */
export function keyBits(keyType: KeyType): number {
  switch (keyType) {
    case 'ecdsa-p256':
      return 256;
    case 'ecdsa-p384':
      return 384;
    case 'ecdsa-p521':
      return 521;
    case 'rsa-2048':
      return 2048;
    case 'rsa-3072':
      return 3072;
    case 'rsa-4096':
      return 4096;
    case 'ed25519':
      return 256;
  }
}

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

/** SPKI from an uncompressed EC point (04‖X‖Y). */
export function spkiFromEcPoint(curve: EcCurve, point: Uint8Array): { spki: Uint8Array; keyType: KeyType } {
  const n = (point.length - 1) / 2;
  if (point[0] !== 0x04 || !Number.isInteger(n) || n <= 0) {
    throw airsignError('KEY_PUBLIC_KEY_INVALID', `the ${curve} public point is not an uncompressed point`);
  }
  const jwk = {
    kty: 'EC',
    crv: curve,
    x: Buffer.from(point.subarray(1, 1 + n)).toString('base64url'),
    y: Buffer.from(point.subarray(1 + n)).toString('base64url'),
  };
  return { spki: spkiOf(publicKeyFromJwk(jwk)), keyType: CURVE_KEY_TYPE[curve] };
}

/** SPKI from an RSA modulus and public exponent (unsigned big-endian). */
export function spkiFromRsa(modulus: Uint8Array, exponent: Uint8Array): { spki: Uint8Array; keyType: KeyType } {
  const jwk = { kty: 'RSA', n: Buffer.from(stripZeros(modulus)).toString('base64url'), e: Buffer.from(stripZeros(exponent)).toString('base64url') };
  const key = publicKeyFromJwk(jwk);
  return { spki: spkiOf(key), keyType: keyTypeOf(key) };
}

/** SPKI from a 32-byte Ed25519 public key. */
export function spkiFromEd25519(raw: Uint8Array): { spki: Uint8Array; keyType: KeyType } {
  if (raw.length !== 32) throw airsignError('KEY_PUBLIC_KEY_INVALID', `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') };
  return { spki: spkiOf(publicKeyFromJwk(jwk)), keyType: 'ed25519' };
}

function publicKeyFromJwk(jwk: Record<string, string>): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw airsignError('KEY_PUBLIC_KEY_INVALID', 'the public key is not valid', { cause: error });
  }
}

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}
