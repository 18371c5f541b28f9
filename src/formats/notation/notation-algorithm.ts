/**
 * The Notary Project signing algorithms and the one table that maps a key to its algorithm
 * (notation-core-go `signature/algorithm.go`): RSA 2048/3072/4096 → PS256/384/512 (RSASSA-PSS,
 * salt = hash length), EC P-256/384/521 → ES256/384/512. Everything else (Ed25519, other RSA sizes,
 * RSA-PSS-restricted SPKIs) is refused with NOTATION_KEY_UNSUPPORTED.
 */
import { airsignError, isAirsignError } from '../../errors.js';
import type { HashAlgorithm, KeyType, SignatureScheme } from '../../key-backend.js';
import { keyTypeOfSpki } from '../../keys/signature-encoding.js';

export type NotationAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface NotationAlgorithmInfo {
  name: NotationAlgorithm;
  /** COSE algorithm identifier (RFC 9053). */
  coseId: number;
  hash: HashAlgorithm;
  /** What to ask the KeyBackend for. */
  scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>;
  /** The key this algorithm needs, as our KeyType. */
  keyType: KeyType;
}

const TABLE: Record<NotationAlgorithm, NotationAlgorithmInfo> = {
  PS256: { name: 'PS256', coseId: -37, hash: 'sha256', scheme: { algorithm: 'rsa-pss', hash: 'sha256' }, keyType: 'rsa-2048' },
  PS384: { name: 'PS384', coseId: -38, hash: 'sha384', scheme: { algorithm: 'rsa-pss', hash: 'sha384' }, keyType: 'rsa-3072' },
  PS512: { name: 'PS512', coseId: -39, hash: 'sha512', scheme: { algorithm: 'rsa-pss', hash: 'sha512' }, keyType: 'rsa-4096' },
  ES256: { name: 'ES256', coseId: -7, hash: 'sha256', scheme: { algorithm: 'ecdsa', hash: 'sha256', encoding: 'raw' }, keyType: 'ecdsa-p256' },
  ES384: { name: 'ES384', coseId: -35, hash: 'sha384', scheme: { algorithm: 'ecdsa', hash: 'sha384', encoding: 'raw' }, keyType: 'ecdsa-p384' },
  ES512: { name: 'ES512', coseId: -36, hash: 'sha512', scheme: { algorithm: 'ecdsa', hash: 'sha512', encoding: 'raw' }, keyType: 'ecdsa-p521' },
};

export function notationAlgorithmInfo(name: NotationAlgorithm): NotationAlgorithmInfo {
  return TABLE[name];
}

/** The algorithm whose JWS name is `name`, or undefined (e.g. RS256, EdDSA, HS256). */
export function notationAlgorithmByName(name: unknown): NotationAlgorithmInfo | undefined {
  return typeof name === 'string' && Object.hasOwn(TABLE, name) ? TABLE[name as NotationAlgorithm] : undefined;
}

/** The algorithm whose COSE identifier is `id`, or undefined. */
export function notationAlgorithmByCoseId(id: unknown): NotationAlgorithmInfo | undefined {
  return Object.values(TABLE).find((info) => info.coseId === id);
}

/**
 * The Notation algorithm for a key, given as our KeyType or as a DER SubjectPublicKeyInfo.
 * Throws NOTATION_KEY_UNSUPPORTED (kind key) for keys Notation cannot use.
 */
export function notationAlgorithmFor(key: KeyType | Uint8Array): NotationAlgorithm {
  let keyType: KeyType;
  try {
    keyType = typeof key === 'string' ? key : keyTypeOfSpki(key);
  } catch (error) {
    if (!isAirsignError(error)) throw error;
    throw airsignError('NOTATION_KEY_UNSUPPORTED', `Notation cannot sign with this key: ${error.message}`, { cause: error });
  }
  const found = Object.values(TABLE).find((info) => info.keyType === keyType);
  if (found === undefined) {
    throw airsignError('NOTATION_KEY_UNSUPPORTED',
      `Notation cannot sign with a ${keyType} key (it allows RSA 2048/3072/4096 with RSASSA-PSS and ECDSA P-256/P-384/P-521)`,
      { details: { keyType } });
  }
  return found.name;
}
