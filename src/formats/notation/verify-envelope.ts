/**
 * Verifies a Notary Project envelope on its own (integrity): the format and header rules, the
 * signature with the leaf certificate's key, the algorithm against that key, and the certificate
 * chain rules at the signing time. It does not decide trust (trust stores, identities, expiry against
 * the clock, timestamps, revocation): that is the trust policy's job.
 */
import { createPublicKey, constants, verify } from 'node:crypto';
import { assertDescriptor, type Descriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import { MediaType } from '../../media-types.js';
import { parseCoseEnvelope } from './cose-envelope.js';
import { parseJwsEnvelope } from './jws-envelope.js';
import { notationAlgorithmFor, notationAlgorithmInfo } from './notation-algorithm.js';
import { checkNotationChain, verificationFailure } from './notation-chain.js';
import { Header, type ParsedNotationEnvelope, type SigningScheme } from './notation-envelope-types.js';

export interface VerifiedNotationEnvelope {
  payload: { targetArtifact: Descriptor };
  signingScheme: SigningScheme;
  signingTime: Date;
  expiry?: Date;
  /** DER, leaf first. */
  chain: Uint8Array[];
  algorithm: string;
  signingAgent?: string;
  timestampToken?: Uint8Array;
  /** The raw signature bytes (what an RFC 3161 timestamp countersigns). */
  signature: Uint8Array;
}

/** Critical headers a verifier without plugins understands. */
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([Header.SigningScheme, Header.Expiry, Header.AuthenticSigningTime]);

/**
 * Parses and verifies `bytes` as a Notation envelope of layer media type `mediaType`. Throws
 * AirsignError kind `verification`: NOTATION_UNSUPPORTED_MEDIA_TYPE, NOTATION_ENVELOPE_MALFORMED,
 * NOTATION_BAD_CRITICAL, NOTATION_ALG_MISMATCH, NOTATION_SIGNATURE_INVALID, NOTATION_BAD_PAYLOAD,
 * NOTATION_BAD_EXPIRY, or a chain code (NOTATION_CHAIN_ORDER, NOTATION_LEAF_KEY_USAGE, ...).
 */
export function verifyNotationEnvelope(mediaType: string, bytes: Uint8Array): VerifiedNotationEnvelope {
  const malformed = (message: string): never => {
    throw airsignError('NOTATION_ENVELOPE_MALFORMED', `invalid Notation signature envelope: ${message}`);
  };
  let parsed: ParsedNotationEnvelope;
  if (mediaType === MediaType.Jws) parsed = parseJwsEnvelope(bytes, malformed);
  else if (mediaType === MediaType.Cose) parsed = parseCoseEnvelope(bytes, malformed);
  else {
    throw airsignError('NOTATION_UNSUPPORTED_MEDIA_TYPE',
      `"${mediaType}" is not a Notation signature envelope media type (expected ${MediaType.Jws} or ${MediaType.Cose})`);
  }
  checkHeaders(parsed);

  const certs = checkNotationChain(parsed.chain, parsed.signingTime, verificationFailure);
  const leaf = certs[0]!;
  let leafAlgorithm: string;
  try {
    leafAlgorithm = notationAlgorithmFor(leaf.spki);
  } catch (e) {
    throw airsignError('NOTATION_ALG_MISMATCH', (e as Error).message, { cause: e });
  }
  if (leafAlgorithm !== parsed.algorithm) {
    throw airsignError('NOTATION_ALG_MISMATCH',
      `the envelope says ${parsed.algorithm} but the signing certificate's key needs ${leafAlgorithm}`);
  }
  if (!signatureValid(parsed, leaf.spki)) {
    throw airsignError('NOTATION_SIGNATURE_INVALID', 'the signature does not verify with the signing certificate\'s key (the envelope was changed or signed by another key)');
  }
  const targetArtifact = readPayload(parsed);
  return {
    payload: { targetArtifact },
    signingScheme: parsed.signingScheme,
    signingTime: parsed.signingTime,
    ...(parsed.expiry === undefined ? {} : { expiry: parsed.expiry }),
    chain: parsed.chain,
    algorithm: parsed.algorithm,
    signature: parsed.signature,
    ...(parsed.signingAgent === undefined ? {} : { signingAgent: parsed.signingAgent }),
    ...(parsed.timestampToken === undefined ? {} : { timestampToken: parsed.timestampToken }),
  };
}

function checkHeaders(parsed: ParsedNotationEnvelope): void {
  if (parsed.contentType !== MediaType.NotaryPayload) {
    throw airsignError('NOTATION_ENVELOPE_MALFORMED', `the content type is "${parsed.contentType}", expected ${MediaType.NotaryPayload}`);
  }
  const critical = new Set(parsed.critical);
  if (critical.size !== parsed.critical.length) {
    throw airsignError('NOTATION_BAD_CRITICAL', 'the critical header list has duplicates');
  }
  for (const name of parsed.critical) {
    if (!parsed.protectedNames.includes(name)) {
      throw airsignError('NOTATION_BAD_CRITICAL', `critical header "${name}" is not in the protected header`);
    }
    if (!UNDERSTOOD_CRITICAL.has(name)) {
      throw airsignError('NOTATION_BAD_CRITICAL', `critical header "${name}" is not supported (a verification plugin or newer verifier is required)`);
    }
  }
  const mustBeCritical = [Header.SigningScheme,
    ...(parsed.expiry === undefined ? [] : [Header.Expiry]),
    ...(parsed.signingScheme === 'notary.x509.signingAuthority' ? [Header.AuthenticSigningTime] : [])];
  for (const name of mustBeCritical) {
    if (!critical.has(name)) throw airsignError('NOTATION_BAD_CRITICAL', `header "${name}" must be marked critical`);
  }
  if (parsed.expiry !== undefined && parsed.expiry <= parsed.signingTime) {
    throw airsignError('NOTATION_EXPIRY_BEFORE_SIGNING', 'the expiry is not later than the signing time');
  }
}

function signatureValid(parsed: ParsedNotationEnvelope, spki: Uint8Array): boolean {
  const info = notationAlgorithmInfo(parsed.algorithm);
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  try {
    if (info.scheme.algorithm === 'ecdsa') {
      const width = key.asymmetricKeyDetails?.namedCurve === 'secp521r1' ? 66 : key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 48 : 32;
      if (parsed.signature.length !== 2 * width) return false;
      return verify(info.hash, parsed.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, parsed.signature);
    }
    return verify(info.hash, parsed.signedBytes, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: parsed.pssSalt === 'any' ? constants.RSA_PSS_SALTLEN_AUTO : constants.RSA_PSS_SALTLEN_DIGEST,
    }, parsed.signature);
  } catch {
    return false;
  }
}

function readPayload(parsed: ParsedNotationEnvelope): Descriptor {
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parsed.payload));
  } catch {
    throw airsignError('NOTATION_BAD_PAYLOAD', 'the signed payload is not JSON');
  }
  const target = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>).targetArtifact : undefined;
  try {
    assertDescriptor(target, 'the signed payload\'s targetArtifact');
  } catch (e) {
    throw airsignError('NOTATION_BAD_PAYLOAD', (e as Error).message, { cause: e });
  }
  return target;
}
