/**
 * RFC 3161 TimeStampReq (DER): version 1, messageImprint over the caller's hash, a random
 * nonce, certReq = TRUE (Notation wants the TSA chain in the token).
 */
import { randomBytes } from 'node:crypto';
import type { HashAlgorithm } from '../keys/key-backend.js';
import { encodeBoolean, encodeInteger, encodeNull, encodeOctetString, encodeOid, encodeSequence } from './der.js';

export const HASH_OIDS: Record<HashAlgorithm, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

export const HASH_LENGTHS: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

export interface TimeStampRequest {
  der: Uint8Array;
  hash: HashAlgorithm;
  hashedMessage: Uint8Array;
  /** Unsigned big-endian nonce as sent. */
  nonce: bigint;
}

/** AlgorithmIdentifier for a hash, with NULL parameters as OpenSSL writes them. */
export function hashAlgorithmIdentifier(hash: HashAlgorithm): Uint8Array {
  return encodeSequence([encodeOid(HASH_OIDS[hash]), encodeNull()]);
}

export function createTimeStampRequest(hash: HashAlgorithm, hashedMessage: Uint8Array, options: { nonce?: Uint8Array } = {}): TimeStampRequest {
  if (hashedMessage.length !== HASH_LENGTHS[hash]) {
    throw new Error(`a ${hash} digest has ${HASH_LENGTHS[hash]} bytes, got ${hashedMessage.length}`);
  }
  const nonceBytes = options.nonce ?? randomBytes(8);
  // Sent as a non-negative INTEGER (encodeInteger adds a 0 octet when the top bit is set).
  const nonceCopy = Uint8Array.from(nonceBytes);
  let nonce = 0n;
  for (const byte of nonceCopy) nonce = (nonce << 8n) | BigInt(byte);
  const der = encodeSequence([
    encodeInteger(1),
    encodeSequence([hashAlgorithmIdentifier(hash), encodeOctetString(hashedMessage)]),
    encodeInteger(nonceCopy),
    encodeBoolean(true),
  ]);
  return { der, hash, hashedMessage: Uint8Array.from(hashedMessage), nonce };
}
