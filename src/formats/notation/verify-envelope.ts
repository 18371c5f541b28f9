/**
 * Verifies a Notary Project envelope on its own (integrity): the format and header rules, the
 * signature with the leaf certificate's key, the algorithm against that key, and the certificate
 * chain rules at the signing time. It does not decide trust (trust stores, identities, expiry against
 * the clock, timestamps, revocation): that is the trust policy's job.
 */
import { airsignError } from '../../errors.js';
import { MediaType } from '../../media-types.js';
import { parseCoseEnvelope } from './cose-envelope.js';
import { parseJwsEnvelope } from './jws-envelope.js';
import type { ParsedNotationEnvelope } from './notation-envelope-types.js';
import { notationMalformed, verifyParsedNotationEnvelope, type VerifiedNotationEnvelope, type VerifyNotationEnvelopeOptions } from './verify-parsed-envelope.js';

export type { VerifiedNotationEnvelope, VerifyNotationEnvelopeOptions } from './verify-parsed-envelope.js';

/**
 * Parses and verifies `bytes` as a Notation envelope of layer media type `mediaType`. Throws
 * AirsignError kind `verification`: NOTATION_UNSUPPORTED_MEDIA_TYPE, NOTATION_ENVELOPE_MALFORMED,
 * NOTATION_BAD_CRITICAL, NOTATION_ALG_MISMATCH, NOTATION_SIGNATURE_INVALID, NOTATION_BAD_PAYLOAD,
 * SIGN_BAD_EXPIRY, or a chain code (NOTATION_CHAIN_ORDER, NOTATION_LEAF_KEY_USAGE, ...).
 */
export function verifyNotationEnvelope(mediaType: string, bytes: Uint8Array, options: VerifyNotationEnvelopeOptions = {}): VerifiedNotationEnvelope {
  let parsed: ParsedNotationEnvelope;
  if (mediaType === MediaType.Jws) parsed = parseJwsEnvelope(bytes, notationMalformed);
  else if (mediaType === MediaType.Cose) parsed = parseCoseEnvelope(bytes, notationMalformed);
  else {
    throw airsignError('NOTATION_UNSUPPORTED_MEDIA_TYPE',
      `"${mediaType}" is not a Notation signature envelope media type (expected ${MediaType.Jws} or ${MediaType.Cose})`);
  }
  return verifyParsedNotationEnvelope(parsed, options);
}
