/**
 * RFC 3161 TimeStampReq (DER): version 1, messageImprint over the caller's hash, a random
 * nonce, certReq = TRUE (Notation wants the TSA chain in the token). The structures and their
 * encoding come from @peculiar/asn1-tsp / asn1-schema.
 */
import { airsignError } from '../errors.js';
import { randomBytes } from 'node:crypto';
import { AsnConvert, AsnIntegerArrayBufferConverter, AsnIntegerBigIntConverter, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq, TimeStampReqVersion } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { HashAlgorithm } from '../key-backend.js';

export const HASH_OIDS: Record<HashAlgorithm, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

const HASH_LENGTHS: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

export interface TimeStampRequest {
  der: Uint8Array;
  hash: HashAlgorithm;
  hashedMessage: Uint8Array;
  /** Unsigned big-endian nonce as sent. */
  nonce: bigint;
}

/** AlgorithmIdentifier for a hash, with NULL parameters as OpenSSL writes them. */
function hashAlgorithm(hash: HashAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: HASH_OIDS[hash], parameters: null });
}

export function createTimeStampRequest(hash: HashAlgorithm, hashedMessage: Uint8Array, options: { nonce?: Uint8Array } = {}): TimeStampRequest {
  if (hashedMessage.length !== HASH_LENGTHS[hash]) {
    throw airsignError('TSA_BAD_REQUEST', `a ${hash} digest has ${HASH_LENGTHS[hash]} bytes, got ${hashedMessage.length}`);
  }
  const nonceBytes = options.nonce ?? randomBytes(8);
  let nonce = 0n;
  for (const byte of nonceBytes) nonce = (nonce << 8n) | BigInt(byte);
  const request = new TimeStampReq({
    version: TimeStampReqVersion.v1,
    messageImprint: new MessageImprint({ hashAlgorithm: hashAlgorithm(hash), hashedMessage: new OctetString(Uint8Array.from(hashedMessage)) }),
    // The nonce bytes are an unsigned number: sent as a non-negative INTEGER in minimal form (the
    // bigint converter adds a 0 octet when the top bit is set and drops redundant leading zeros).
    nonce: AsnIntegerArrayBufferConverter.fromASN(AsnIntegerBigIntConverter.toASN(nonce)),
    certReq: true,
  });
  const der = new Uint8Array(AsnConvert.serialize(request));
  return { der, hash, hashedMessage: Uint8Array.from(hashedMessage), nonce };
}
