/**
 * Creates a Notary Project signature envelope (JWS or COSE) over a manifest or index descriptor,
 * signing through a KeyBackend. Refuses, before anything is signed, every key and certificate chain
 * Notation would reject (see notation-chain.ts), and, as notation-go's signer does, verifies each
 * envelope it made (signature over the exact bytes, chain, payload) before handing it out.
 */
import type { PlainDescriptor } from '../../descriptor.js';
import { airsignError, isAirsignError } from '../../errors.js';
import type { HashAlgorithm, KeyBackend } from '../../key-backend.js';
import { MediaType } from '../../media-types.js';
import { buildJwsEnvelope, parseJwsEnvelope } from './jws-envelope.js';
import { notationAlgorithmFor, notationAlgorithmInfo, type NotationAlgorithm } from './notation-algorithm.js';
import { isValidatedNotationChain, prepareNotationChain, type ValidatedNotationChain } from './notation-chain.js';
import { bytesEqual } from '../../bytes.js';
import { notationPayloadBytes } from './notation-payload.js';
import type { Malformed, ParsedNotationEnvelope } from './notation-envelope-types.js';
import { notationMalformed, verifyParsedNotationEnvelope } from './verify-parsed-envelope.js';
import { fitRsaSignature, rsaModulusLength } from '../../keys/signature-encoding.js';

export type NotationEnvelopeType = 'jws' | 'cose';

export interface NotationSignRequest {
  /** The signed manifest or index (mediaType, digest, size). */
  target: PlainDescriptor;
  /** User annotations; they go into the payload's targetArtifact.annotations. */
  annotations?: Record<string, string>;
  /** Written in whole seconds (fractions are dropped). */
  signingTime: Date;
  expiry?: Date;
  /** e.g. "airsign/0.1.0". */
  signingAgent: string;
  /** Returns an RFC 3161 TimeStampToken (DER) over the raw signature bytes hashed with `hash`. */
  timestamper?: (signature: Uint8Array, hash: HashAlgorithm) => Promise<Uint8Array>;
}

export interface NotationEnvelope {
  /** application/jose+json or application/cose: the signature manifest's layer media type. */
  mediaType: string;
  bytes: Uint8Array;
  algorithm: NotationAlgorithm;
}

/** Annotation keys under this prefix are Notation's own; notation refuses them from users (`-a`). */
const NOTATION_RESERVED_ANNOTATION_PREFIX = 'io.cncf.notary.';

/** Throws SIGN_BAD_ANNOTATION for a user annotation in Notation's reserved namespace. */
export function checkNotationAnnotations(annotations: Record<string, string> | undefined): void {
  for (const key of Object.keys(annotations ?? {})) {
    if (key.startsWith(NOTATION_RESERVED_ANNOTATION_PREFIX)) {
      throw airsignError('SIGN_BAD_ANNOTATION',
        `options.annotations ${JSON.stringify(key)} is in the reserved ${NOTATION_RESERVED_ANNOTATION_PREFIX}* namespace, which Notation refuses`,
        { details: { option: 'annotations', value: key } });
    }
  }
}

function notationEnvelopeMediaType(type: NotationEnvelopeType): string {
  return type === 'jws' ? MediaType.Jws : MediaType.Cose;
}

/**
 * Signs `request.target` as a Notation envelope of `type` with `key`, whose certificate chain (DER,
 * leaf first, root last) is `chain`: either the DER certificates (checked here), or the result of
 * prepareNotationChain at the signing time, made once for a run of several signatures. Throws
 * AirsignError kind `key` for unusable keys and chains (NOTATION_KEY_UNSUPPORTED,
 * KEY_CERT_MISMATCH, NOTATION_LEAF_KEY_USAGE, ...) or an envelope that does not verify
 * (SIGNATURE_SELF_CHECK_FAILED), and kind `input` for a bad request (SIGN_BAD_EXPIRY,
 * NOTATION_BAD_TIME, SIGN_BAD_ANNOTATION).
 */
export async function createNotationEnvelope(
  type: NotationEnvelopeType,
  key: KeyBackend,
  chain: Uint8Array[] | ValidatedNotationChain,
  request: NotationSignRequest,
): Promise<NotationEnvelope> {
  checkNotationAnnotations(request.annotations);
  const signingTime = wholeSeconds(request.signingTime, 'signing time');
  const expiry = request.expiry === undefined ? undefined : wholeSeconds(request.expiry, 'expiry');
  if (expiry !== undefined && expiry <= signingTime) {
    throw airsignError('SIGN_BAD_EXPIRY', `the expiry ${expiry.toISOString()} must be later than the signing time ${signingTime.toISOString()}`, {
      details: { option: 'expiry', value: expiry.toISOString() },
    });
  }
  // The key type alone already rules out Ed25519 and odd RSA sizes, before any certificate is read.
  notationAlgorithmFor(key.keyType);
  const spki = await key.publicKeySpki();
  // A chain prepared for this run at this signing time and key is used as it is; anything else is checked now.
  const validated = isValidatedNotationChain(chain) && chain.at.getTime() === signingTime.getTime() && bytesEqual(chain.spki, spki)
    ? chain
    : prepareNotationChain(isValidatedNotationChain(chain) ? [...chain.chain] : chain, spki, { at: signingTime });
  const algorithm = notationAlgorithmInfo(validated.algorithm);
  const timestamper = request.timestamper;
  const payload = notationPayloadBytes(type, request.target, request.annotations);
  const input = {
    algorithm,
    payload,
    signingTime,
    ...(expiry === undefined ? {} : { expiry }),
    chain: [...validated.chain],
    signingAgent: request.signingAgent,
    sign: async (bytes: Uint8Array) => {
      const signature = await key.sign(bytes, algorithm.scheme);
      if (algorithm.scheme.algorithm === 'rsa-pss') return fitRsaSignature(signature, rsaModulusLength(algorithm.keyType));
      const expected = ecSignatureLength(algorithm.name);
      if (expected !== undefined && signature.length !== expected) {
        throw airsignError('NOTATION_SIGNATURE_SHAPE', `the key returned a ${signature.length}-byte ECDSA signature, expected raw r‖s of ${expected} bytes`);
      }
      return signature;
    },
    ...(timestamper === undefined ? {} : {
      timestamp: async (signature: Uint8Array) => {
        const token = await timestamper(signature, algorithm.hash);
        // The TSA client checked the token itself; its time must also fall inside the chain's validity.
        (await import('../../timestamp/time-stamp-token.js')).checkTimeStampCoversChain(token, signature, algorithm.hash, validated.certificates);
        return token;
      },
    }),
  };
  // COSE (and its CBOR code) loads only when a COSE envelope is asked for.
  const cose = type === 'cose' ? await import('./cose-envelope.js') : undefined;
  const bytes = cose === undefined ? await buildJwsEnvelope(input) : await cose.buildCoseEnvelope(input);
  const mediaType = notationEnvelopeMediaType(type);
  selfCheck((malformed) => (cose === undefined ? parseJwsEnvelope(bytes, malformed) : cose.parseCoseEnvelope(bytes, malformed)), validated, request.target);
  return { mediaType, bytes, algorithm: algorithm.name };
}

/**
 * Verifies the envelope just made, as notation-go's signer does before returning one: the
 * signature over the exact bytes with the leaf key, the headers, the chain it carries (the one
 * checked for this run), and that the payload names the target. A failure means the key or token
 * signed something else or returned a broken signature; nothing is written.
 */
function selfCheck(parse: (malformed: Malformed) => ParsedNotationEnvelope, validated: ValidatedNotationChain, target: PlainDescriptor): void {
  let verified;
  try {
    verified = verifyParsedNotationEnvelope(parse(notationMalformed), { validatedChain: validated });
  } catch (error) {
    const why = isAirsignError(error) ? error.message : String(error);
    throw airsignError('SIGNATURE_SELF_CHECK_FAILED', `the signature just made does not verify (${why}); nothing was written`, { cause: error });
  }
  const got = verified.payload.targetArtifact;
  if (got.digest !== target.digest || got.mediaType !== target.mediaType || got.size !== target.size) {
    throw airsignError('SIGNATURE_SELF_CHECK_FAILED', 'the signature just made names another target; nothing was written');
  }
}

function ecSignatureLength(name: NotationAlgorithm): number | undefined {
  return name === 'ES256' ? 64 : name === 'ES384' ? 96 : name === 'ES512' ? 132 : undefined;
}

function wholeSeconds(date: Date, what: string): Date {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw airsignError('NOTATION_BAD_TIME', `the ${what} is not a valid time`);
  return new Date(Math.floor(ms / 1000) * 1000);
}
