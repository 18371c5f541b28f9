/**
 * Creates a Notary Project signature envelope (JWS or COSE) over a manifest or index descriptor,
 * signing through a KeyBackend. Refuses, before anything is signed, every key and certificate chain
 * Notation would reject (see notation-chain.ts).
 */
import type { PlainDescriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import type { HashAlgorithm, KeyBackend } from '../../key-backend.js';
import { MediaType } from '../../media-types.js';
import { buildJwsEnvelope } from './jws-envelope.js';
import { notationAlgorithmFor, notationAlgorithmInfo, type NotationAlgorithm } from './notation-algorithm.js';
import { validateNotationChain } from './notation-chain.js';
import { notationPayloadBytes } from './notation-payload.js';

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

export function notationEnvelopeMediaType(type: NotationEnvelopeType): string {
  return type === 'jws' ? MediaType.Jws : MediaType.Cose;
}

/**
 * Signs `request.target` as a Notation envelope of `type` with `key`, whose certificate chain (DER,
 * leaf first, root last) is `chain`. Throws AirsignError kind `key` for unusable keys and chains
 * (NOTATION_KEY_UNSUPPORTED, KEY_CERT_MISMATCH, NOTATION_LEAF_KEY_USAGE, ...) and kind
 * `input` for a bad request (NOTATION_BAD_EXPIRY, NOTATION_BAD_TIME).
 */
export async function createNotationEnvelope(
  type: NotationEnvelopeType,
  key: KeyBackend,
  chain: Uint8Array[],
  request: NotationSignRequest,
): Promise<NotationEnvelope> {
  const signingTime = wholeSeconds(request.signingTime, 'signing time');
  const expiry = request.expiry === undefined ? undefined : wholeSeconds(request.expiry, 'expiry');
  if (expiry !== undefined && expiry <= signingTime) {
    throw airsignError('NOTATION_BAD_EXPIRY', `the expiry ${expiry.toISOString()} must be later than the signing time ${signingTime.toISOString()}`);
  }
  // The key type alone already rules out Ed25519 and odd RSA sizes, before any certificate is read.
  notationAlgorithmFor(key.keyType);
  const spki = await key.publicKeySpki();
  const algorithm = notationAlgorithmInfo(validateNotationChain(chain, spki, { at: signingTime }));
  const timestamper = request.timestamper;
  const input = {
    algorithm,
    payload: notationPayloadBytes(type, request.target, request.annotations),
    signingTime,
    ...(expiry === undefined ? {} : { expiry }),
    chain,
    signingAgent: request.signingAgent,
    sign: async (bytes: Uint8Array) => {
      const signature = await key.sign(bytes, algorithm.scheme);
      const expected = algorithm.scheme.algorithm === 'ecdsa' ? ecSignatureLength(algorithm.name) : undefined;
      if (expected !== undefined && signature.length !== expected) {
        throw airsignError('NOTATION_SIGNATURE_SHAPE', `the key returned a ${signature.length}-byte ECDSA signature, expected raw r‖s of ${expected} bytes`);
      }
      return signature;
    },
    ...(timestamper === undefined ? {} : { timestamp: (signature: Uint8Array) => timestamper(signature, algorithm.hash) }),
  };
  // COSE (and its CBOR code) loads only when a COSE envelope is asked for.
  const bytes = type === 'jws' ? await buildJwsEnvelope(input) : await (await import('./cose-envelope.js')).buildCoseEnvelope(input);
  return { mediaType: notationEnvelopeMediaType(type), bytes, algorithm: algorithm.name };
}

function ecSignatureLength(name: NotationAlgorithm): number | undefined {
  return name === 'ES256' ? 64 : name === 'ES384' ? 96 : name === 'ES512' ? 132 : undefined;
}

function wholeSeconds(date: Date, what: string): Date {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw airsignError('NOTATION_BAD_TIME', `the ${what} is not a valid time`);
  return new Date(Math.floor(ms / 1000) * 1000);
}
