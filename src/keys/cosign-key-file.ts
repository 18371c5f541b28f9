/**
 * cosign's encrypted private key files: PEM `ENCRYPTED SIGSTORE PRIVATE KEY` (legacy label
 * `ENCRYPTED COSIGN PRIVATE KEY`) around a JSON document in go-securesystemslib's format:
 * scrypt (N, r=8, p=1, 32-byte salt) derives a 32-byte key for NaCl secretbox
 * (XSalsa20-Poly1305, 24-byte nonce); the plaintext is a PKCS#8 DER private key.
 */
import { randomBytes } from 'node:crypto';
import { airsignError } from '../errors.js';
import { decodePemLabel, encodePem } from '../pem.js';

const COSIGN_KEY_PEM_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const LEGACY_COSIGN_KEY_PEM_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';
/** scrypt N that cosign writes. */
const COSIGN_DEFAULT_SCRYPT_N = 65536;
/** scrypt N values accepted on decrypt (as cosign). Smaller values exist only for tests. */
const ACCEPTED_N = new Set([1 << 15, 1 << 16, 1 << 17]);

interface CosignKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

export interface EncryptCosignKeyOptions {
  /** scrypt work factor (default 65536, as cosign). */
  N?: number;
  /** PEM label (default `ENCRYPTED SIGSTORE PRIVATE KEY`). */
  label?: typeof COSIGN_KEY_PEM_LABEL | typeof LEGACY_COSIGN_KEY_PEM_LABEL;
}

export interface DecryptCosignKeyOptions {
  /** Also accept scrypt N values outside cosign's {2^15, 2^16, 2^17} (tests only). */
  allowAnyN?: boolean;
}

async function secretboxFor(key: Uint8Array, nonce: Uint8Array) {
  const { secretbox } = await import('@noble/ciphers/salsa.js');
  return secretbox(key, nonce);
}

async function deriveKey(password: string, salt: Uint8Array, N: number): Promise<Uint8Array> {
  const { scryptAsync } = await import('@noble/hashes/scrypt.js');
  return scryptAsync(new TextEncoder().encode(password), salt, { N, r: 8, p: 1, dkLen: 32, maxmem: 256 * 1024 * 1024 });
}

/** True when `text` holds a cosign encrypted private key PEM block. */
export function isCosignKeyPem(text: string): boolean {
  return text.includes(`-----BEGIN ${COSIGN_KEY_PEM_LABEL}-----`) || text.includes(`-----BEGIN ${LEGACY_COSIGN_KEY_PEM_LABEL}-----`);
}

/** Encrypts a PKCS#8 DER private key into cosign's PEM format. */
export async function encryptCosignKey(pkcs8Der: Uint8Array, password: string, options: EncryptCosignKeyOptions = {}): Promise<string> {
  const N = options.N ?? COSIGN_DEFAULT_SCRYPT_N;
  const salt = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(24));
  const key = await deriveKey(password, salt, N);
  const ciphertext = (await secretboxFor(key, nonce)).seal(pkcs8Der);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const doc: CosignKeyJson = {
    kdf: { name: 'scrypt', params: { N, r: 8, p: 1 }, salt: b64(salt) },
    cipher: { name: 'nacl/secretbox', nonce: b64(nonce) },
    ciphertext: b64(ciphertext),
  };
  return encodePem(options.label ?? COSIGN_KEY_PEM_LABEL, new TextEncoder().encode(JSON.stringify(doc)));
}

/** Decrypts cosign's PEM format to PKCS#8 DER; a wrong password throws KEY_PASSPHRASE_WRONG. */
export async function decryptCosignKey(pem: string, password: string, options: DecryptCosignKeyOptions = {}): Promise<Uint8Array> {
  const bad = (why: string) => airsignError('KEY_COSIGN_FORMAT', `malformed cosign private key: ${why}`);
  let block: Uint8Array | undefined;
  try {
    block = decodePemLabel(pem, COSIGN_KEY_PEM_LABEL)[0] ?? decodePemLabel(pem, LEGACY_COSIGN_KEY_PEM_LABEL)[0];
  } catch {
    throw bad('the PEM body is not base64');
  }
  if (block === undefined) throw airsignError('KEY_FORMAT_UNSUPPORTED', 'not a cosign encrypted private key (no ENCRYPTED SIGSTORE PRIVATE KEY block)');
  let doc: CosignKeyJson;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(block)) as CosignKeyJson;
  } catch {
    throw bad('the body is not JSON');
  }
  if (doc?.kdf?.name !== 'scrypt') throw bad(`unsupported KDF ${String(doc?.kdf?.name)}`);
  if (doc.cipher?.name !== 'nacl/secretbox') throw bad(`unsupported cipher ${String(doc.cipher?.name)}`);
  const { N, r, p } = doc.kdf.params ?? ({} as CosignKeyJson['kdf']['params']);
  if (r !== 8 || p !== 1 || typeof N !== 'number' || !(ACCEPTED_N.has(N) || (options.allowAnyN === true && N >= 2 && (N & (N - 1)) === 0 && N <= 1 << 20))) {
    throw bad(`unsupported scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)}`);
  }
  const salt = decodeB64(doc.kdf.salt, 'salt');
  const nonce = decodeB64(doc.cipher.nonce, 'nonce');
  const ciphertext = decodeB64(doc.ciphertext, 'ciphertext');
  if (nonce.length !== 24) throw bad('the nonce is not 24 bytes');
  if (ciphertext.length < 16) throw bad('the ciphertext is too short');
  const key = await deriveKey(password, salt, N);
  const box = await secretboxFor(key, nonce);
  try {
    return box.open(ciphertext);
  } catch {
    throw airsignError('KEY_PASSPHRASE_WRONG', 'wrong passphrase for the cosign private key (decryption failed)');
  }
}

function decodeB64(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw airsignError('KEY_COSIGN_FORMAT', `malformed cosign private key: bad ${what}`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}
