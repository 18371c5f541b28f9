/**
 * The Notary Project COSE envelope (application/cose): a tagged COSE_Sign1 (tag 18) in Core
 * Deterministic CBOR, as notation-core-go writes it. Protected header: 1 alg, 2 crit, 3 content type,
 * and the text labels signingScheme, signingTime and expiry (times as tag 1 over integer epoch
 * seconds). Unprotected header: 33 x5chain (always an array of bstr), signingAgent, and the optional
 * timestampSignature. The signature covers Sig_structure ["Signature1", protected, h'', payload].
 */
import { MediaType } from '../../media-types.js';
import { CborTag, decodeCbor, encodeCbor, type CborValue } from '../cbor.js';
import { notationAlgorithmByCoseId } from './notation-algorithm.js';
import { Header, type Malformed, type ParsedNotationEnvelope } from './notation-envelope-types.js';
import { notationCritical, type EnvelopeBuildInput } from './jws-envelope.js';
import { epochSeconds } from '../../rfc3339.js';

const COSE_SIGN1_TAG = 18;
const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;
const EMPTY = new Uint8Array(0);

/** The bytes a COSE_Sign1 signature covers. */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, EMPTY, payload]);
}

export async function buildCoseEnvelope(input: EnvelopeBuildInput): Promise<Uint8Array> {
  const protectedMap = new Map<CborValue, CborValue>([
    [LABEL_ALG, input.algorithm.coseId],
    [LABEL_CRIT, notationCritical(input.expiry)],
    [LABEL_CONTENT_TYPE, MediaType.NotaryPayload],
    [Header.SigningScheme, 'notary.x509'],
    [Header.SigningTime, new CborTag(1, epochSeconds(input.signingTime))],
  ]);
  if (input.expiry !== undefined) protectedMap.set(Header.Expiry, new CborTag(1, epochSeconds(input.expiry)));
  const protectedBytes = encodeCbor(protectedMap);
  const signature = await input.sign(coseSigStructure(protectedBytes, input.payload));
  const token = input.timestamp === undefined ? undefined : await input.timestamp(signature);
  const unprotected = new Map<CborValue, CborValue>([[LABEL_X5CHAIN, [...input.chain]]]);
  if (input.signingAgent !== '') unprotected.set(Header.SigningAgent, input.signingAgent);
  if (token !== undefined) unprotected.set(Header.TimestampSignature, token);
  return encodeCbor(new CborTag(COSE_SIGN1_TAG, [protectedBytes, unprotected, input.payload, signature]));
}

/** Takes a COSE envelope apart; `malformed` throws. Checks shape and encodings, not the signature. */
export function parseCoseEnvelope(bytes: Uint8Array, malformed: Malformed): ParsedNotationEnvelope {
  let message: CborValue;
  try {
    message = decodeCbor(bytes);
  } catch (e) {
    return malformed(`the COSE envelope is not valid CBOR (${(e as Error).message})`);
  }
  if (!(message instanceof CborTag) || message.tag !== COSE_SIGN1_TAG) return malformed('the COSE envelope is not a tagged COSE_Sign1 (tag 18)');
  const parts = message.value;
  if (!Array.isArray(parts) || parts.length !== 4) return malformed('COSE_Sign1 must be an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (!(protectedBytes instanceof Uint8Array) || protectedBytes.length === 0) return malformed('the COSE protected header is missing');
  if (!(unprotected instanceof Map)) return malformed('the COSE unprotected header is not a map');
  if (!(payload instanceof Uint8Array)) return malformed('the COSE payload is missing (detached payloads are not allowed)');
  if (!(signature instanceof Uint8Array)) return malformed('the COSE signature is not a byte string');
  let header: CborValue;
  try {
    header = decodeCbor(protectedBytes);
  } catch (e) {
    return malformed(`the COSE protected header is not valid CBOR (${(e as Error).message})`);
  }
  if (!(header instanceof Map)) return malformed('the COSE protected header is not a map');

  const alg: unknown = header.get(LABEL_ALG);
  const algorithm = notationAlgorithmByCoseId(alg)
    ?? malformed(`unsupported COSE algorithm ${describeCbor(alg as CborValue, String)} (Notation allows PS256/384/512 and ES256/384/512)`);
  const contentType = header.get(LABEL_CONTENT_TYPE);
  if (typeof contentType !== 'string') malformed('the COSE protected header has no text content type (label 3)');
  const critical = header.get(LABEL_CRIT);
  if (!Array.isArray(critical) || critical.length === 0 || critical.some((c) => typeof c !== 'string')) {
    malformed('the COSE crit header (label 2) must be a non-empty array of header names');
  }
  const scheme = header.get(Header.SigningScheme);
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority') {
    malformed(`unsupported signing scheme ${describeCbor(scheme, JSON.stringify)}`);
  }
  const timeName = scheme === 'notary.x509' ? Header.SigningTime : Header.AuthenticSigningTime;
  const signingTime = epochTime(header.get(timeName)) ?? malformed(`the COSE protected header has no ${timeName} as tag 1 over integer seconds`);
  const expiry = header.has(Header.Expiry)
    ? (epochTime(header.get(Header.Expiry)) ?? malformed(`${Header.Expiry} is not tag 1 over integer seconds`))
    : undefined;

  const x5chain = unprotected.get(LABEL_X5CHAIN);
  if (!Array.isArray(x5chain) || x5chain.length === 0 || x5chain.some((c) => !(c instanceof Uint8Array))) {
    malformed('the COSE unprotected header x5chain (label 33) must be a non-empty array of certificates');
  }
  const agent = unprotected.get(Header.SigningAgent);
  if (agent !== undefined && typeof agent !== 'string') malformed(`${Header.SigningAgent} is not text`);
  const token = unprotected.get(Header.TimestampSignature);
  if (token !== undefined && !(token instanceof Uint8Array)) malformed(`${Header.TimestampSignature} is not a byte string`);

  return {
    algorithm: algorithm.name,
    contentType,
    signingScheme: scheme,
    signingTime,
    ...(expiry === undefined ? {} : { expiry }),
    critical: critical as string[],
    protectedNames: [...header.keys()].filter((k): k is string => typeof k === 'string'),
    payload,
    signedBytes: coseSigStructure(protectedBytes, payload),
    signature,
    chain: x5chain as Uint8Array[],
    ...(typeof agent === 'string' ? { signingAgent: agent } : {}),
    ...(token instanceof Uint8Array ? { timestampToken: token } : {}),
    pssSalt: 'hash-length',
  };
}

/**
 * A header value for a message: numbers and text as `quote` shows them, anything else by its kind.
 * (JSON.stringify cannot be used on any CBOR value: it throws on a bigint.)
 */
function describeCbor(value: CborValue, quote: (value: string | number) => string): string {
  if (typeof value === 'string' || typeof value === 'number') return quote(value);
  if (typeof value === 'bigint') return String(value);
  const kind = value === null ? 'null' : value === undefined ? 'undefined' : value instanceof Uint8Array ? 'byte string'
    : Array.isArray(value) ? 'array' : value instanceof Map ? 'map' : value instanceof CborTag ? `tag ${value.tag}` : typeof value;
  return `(a CBOR ${kind})`;
}

function epochTime(value: CborValue): Date | undefined {
  if (!(value instanceof CborTag) || value.tag !== 1 || typeof value.value !== 'number' || !Number.isSafeInteger(value.value)) return undefined;
  // Beyond ±8.64e12 seconds a Date is invalid, and an invalid signing time compares false with
  // everything: the certificate validity check would pass for any certificate.
  const date = new Date(value.value * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
