/**
 * The checks of a Notary Project envelope after parsing (integrity): header rules, the signature with
 * the leaf certificate's key, the algorithm against that key, the certificate chain rules at the
 * signing time (or the chain the signer already checked), the payload. Kept apart from the parsers
 * so the signer's self-check of a JWS envelope loads no COSE code.
 */
import { createPublicKey, constants, verify } from 'node:crypto';
import { assertDescriptor, type Descriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import { MediaType } from '../../media-types.js';
import { isJsonObject, parseJsonGoOrder } from '../../json-object.js';
import { goField } from '../../go-json.js';
import { notationAlgorithmFor, notationAlgorithmInfo } from './notation-algorithm.js';
import { checkNotationChain, isValidatedNotationChain, verificationFailure, type ValidatedNotationChain } from './notation-chain.js';
import { bytesEqual } from '../../bytes.js';
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

export interface VerifyNotationEnvelopeOptions {
  /**
   * A chain already checked against Notation's rules at the signing time (the signer's own
   * self-check): the envelope must carry exactly this chain and signing time, and the chain rules
   * are not run again.
   */
  validatedChain?: ValidatedNotationChain;
}

/**
 * Verifies an envelope already taken apart by its format's parser (parseJwsEnvelope /
 * parseCoseEnvelope); see verifyNotationEnvelope for the checks and error codes.
 */
export function verifyParsedNotationEnvelope(parsed: ParsedNotationEnvelope, options: VerifyNotationEnvelopeOptions = {}): VerifiedNotationEnvelope {
  checkHeaders(parsed);

  const leaf = options.validatedChain === undefined
    ? checkNotationChain(parsed.chain, undefined, verificationFailure)[0]!
    : sameValidatedChain(parsed, options.validatedChain);
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

/** The leaf of `validated`, after checking the envelope carries that very chain and signing time. */
function sameValidatedChain(parsed: ParsedNotationEnvelope, validated: ValidatedNotationChain) {
  if (!isValidatedNotationChain(validated)) throw new TypeError('validatedChain must come from prepareNotationChain');
  const same = parsed.chain.length === validated.chain.length && parsed.chain.every((der, i) => bytesEqual(der, validated.chain[i]!));
  if (!same) throw airsignError('NOTATION_CHAIN_REJECTED', 'the envelope does not carry the certificate chain that was checked', { details: { rule: 'CHAIN_CHANGED' } });
  if (parsed.signingTime.getTime() !== validated.at.getTime()) {
    throw airsignError('NOTATION_CHAIN_REJECTED', 'the envelope\'s signing time is not the time the chain was checked at', { details: { rule: 'NOTATION_CERT_NOT_VALID' } });
  }
  return validated.certificates[0]!;
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

/**
 * The payload's target as notation-go reads it (`envelope.Payload` into Go structs: keys matched
 * case-insensitively, the last match winning; unknown keys ignored).
 */
function readPayload(parsed: ParsedNotationEnvelope): Descriptor {
  let payload: unknown;
  try {
    payload = parseJsonGoOrder(new TextDecoder('utf-8', { fatal: true }).decode(parsed.payload));
  } catch {
    throw airsignError('NOTATION_BAD_PAYLOAD', 'the signed payload is not JSON');
  }
  const raw = isJsonObject(payload) ? goField(payload, 'targetArtifact') : undefined;
  let target: unknown = raw;
  if (isJsonObject(raw)) {
    const annotations = goField(raw, 'annotations');
    target = {
      mediaType: goField(raw, 'mediaType'),
      digest: goField(raw, 'digest'),
      size: goField(raw, 'size'),
      ...(annotations === undefined || annotations === null ? {} : { annotations }),
    };
  }
  try {
    assertDescriptor(target, 'the signed payload\'s targetArtifact');
  } catch (e) {
    throw airsignError('NOTATION_BAD_PAYLOAD', (e as Error).message, { cause: e });
  }
  return target;
}

/** The `malformed` callback the parsers take: NOTATION_ENVELOPE_MALFORMED. */
export function notationMalformed(message: string): never {
  throw airsignError('NOTATION_ENVELOPE_MALFORMED', `invalid Notation signature envelope: ${message}`);
}
