/**
 * The Notary Project JWS envelope (application/jose+json): JWS JSON flattened serialization exactly as
 * notation-core-go writes it (top level payload, protected, header, signature; protected header keys
 * sorted, compact; unprotected header timestampSignature, x5c, signingAgent; base64url without
 * padding; x5c and the timestamp token in standard base64).
 */
import { MediaType } from '../../media-types.js';
import { decodeBase64Strict, decodeBase64UrlStrict, encodeBase64, encodeBase64Url } from './base64.js';
import { goField, goJson, goJsonSorted } from '../../go-json.js';
import { notationAlgorithmByName, type NotationAlgorithmInfo } from './notation-algorithm.js';
import { Header, type Malformed, type ParsedNotationEnvelope } from './notation-envelope-types.js';
import { formatRfc3339, parseRfc3339 } from '../../rfc3339.js';
import { isJsonObject, parseJsonGoOrder } from '../../json-object.js';

export interface EnvelopeBuildInput {
  algorithm: NotationAlgorithmInfo;
  /** The payload bytes in this format's encoding (see notation-payload.ts). */
  payload: Uint8Array;
  signingTime: Date;
  expiry?: Date;
  /** DER, leaf first. */
  chain: Uint8Array[];
  signingAgent: string;
  /** Signs the bytes with the algorithm's scheme; returns the raw signature (ES*: r‖s). */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
  /** Returns an RFC 3161 TimeStampToken over the raw signature, or nothing. */
  timestamp?(signature: Uint8Array): Promise<Uint8Array>;
}

/** The critical header list notation writes: signingScheme, then expiry when present. */
export function notationCritical(expiry: Date | undefined): string[] {
  return expiry === undefined ? [Header.SigningScheme] : [Header.SigningScheme, Header.Expiry];
}

export async function buildJwsEnvelope(input: EnvelopeBuildInput): Promise<Uint8Array> {
  const protectedHeader = goJsonSorted({
    alg: input.algorithm.name,
    crit: notationCritical(input.expiry),
    cty: MediaType.NotaryPayload,
    ...(input.expiry === undefined ? {} : { [Header.Expiry]: formatRfc3339(input.expiry) }),
    [Header.SigningScheme]: 'notary.x509',
    [Header.SigningTime]: formatRfc3339(input.signingTime),
  });
  const protectedB64 = encodeBase64Url(new TextEncoder().encode(protectedHeader));
  const payloadB64 = encodeBase64Url(input.payload);
  const signature = await input.sign(new TextEncoder().encode(`${protectedB64}.${payloadB64}`));
  const token = input.timestamp === undefined ? undefined : await input.timestamp(signature);
  const text = goJson({
    payload: payloadB64,
    protected: protectedB64,
    header: {
      ...(token === undefined ? {} : { [Header.TimestampSignature]: encodeBase64(token) }),
      x5c: input.chain.map(encodeBase64),
      ...(input.signingAgent === '' ? {} : { [Header.SigningAgent]: input.signingAgent }),
    },
    signature: encodeBase64Url(signature),
  });
  return new TextEncoder().encode(text);
}

/** Takes a JWS envelope apart; `malformed` throws. Checks shape and encodings, not the signature. */
export function parseJwsEnvelope(bytes: Uint8Array, malformed: Malformed): ParsedNotationEnvelope {
  let top: unknown;
  try {
    top = parseJsonGoOrder(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return malformed('the JWS envelope is not JSON (Notation uses the JWS JSON serialization)');
  }
  if (!isJsonObject(top)) return malformed('the JWS envelope is not a JSON object');
  for (const field of ['payload', 'protected', 'signature'] as const) {
    if (typeof top[field] !== 'string') malformed(`the JWS envelope has no "${field}" string`);
  }
  const protectedB64 = top.protected as string;
  const payloadB64 = top.payload as string;
  const protectedBytes = decodeBase64UrlStrict(protectedB64) ?? malformed('"protected" is not unpadded base64url');
  const payload = decodeBase64UrlStrict(payloadB64) ?? malformed('"payload" is not unpadded base64url');
  const signature = decodeBase64UrlStrict(top.signature) ?? malformed('"signature" is not unpadded base64url');
  let header: unknown;
  try {
    header = parseJsonGoOrder(new TextDecoder('utf-8', { fatal: true }).decode(protectedBytes));
  } catch {
    return malformed('the protected header is not JSON');
  }
  if (!isJsonObject(header)) return malformed('the protected header is not a JSON object');
  const unprotected = top.header;
  if (!isJsonObject(unprotected)) return malformed('the JWS envelope has no unprotected "header" object');

  // The protected header as notation-core-go reads it: into a struct (keys matched as Go's
  // encoding/json matches them: case-insensitively, the last match winning) and, for everything
  // else, a map of the exact keys. golang-jwt reads `alg` by its exact key; both must agree.
  const field = (name: string): unknown => goField(header, name);
  const alg = field('alg');
  const algorithm = notationAlgorithmByName(alg) ?? malformed(`unsupported signature algorithm ${JSON.stringify(alg)} (Notation allows PS256/384/512 and ES256/384/512)`);
  if (header.alg !== alg) malformed('the protected header spells "alg" more than one way');
  const contentType = field('cty');
  if (typeof contentType !== 'string') malformed('the protected header has no "cty"');
  const critical = field('crit');
  if (!Array.isArray(critical) || critical.length === 0 || critical.some((c) => typeof c !== 'string')) {
    malformed('the protected header "crit" must be a non-empty array of header names');
  }
  const scheme = field(Header.SigningScheme);
  if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority') {
    malformed(`unsupported signing scheme ${JSON.stringify(scheme)}`);
  }
  const time = (name: string): Date | undefined => {
    const value = field(name);
    if (value === undefined || value === null) return undefined;
    return parseRfc3339(value) ?? malformed(`${name} is not an RFC 3339 time`);
  };
  const plainTime = time(Header.SigningTime);
  const authenticTime = time(Header.AuthenticSigningTime);
  // notation-core-go validateProtectedHeaders: each scheme has its own time header, and only that one.
  const [timeName, otherName, signingTime, otherTime] = scheme === 'notary.x509'
    ? [Header.SigningTime, Header.AuthenticSigningTime, plainTime, authenticTime]
    : [Header.AuthenticSigningTime, Header.SigningTime, authenticTime, plainTime];
  if (otherTime !== undefined) malformed(`the protected header must not have ${otherName} under the ${scheme} signing scheme`);
  if (signingTime === undefined) return malformed(`the protected header has no valid ${timeName}`);
  const expiry = time(Header.Expiry);
  const known: string[] = ['alg', 'cty', 'crit', Header.Expiry, Header.SigningTime, Header.SigningScheme, Header.AuthenticSigningTime];
  const protectedNames = [Header.SigningScheme, timeName, ...(expiry === undefined ? [] : [Header.Expiry]), ...Object.keys(header).filter((k) => !known.includes(k))];

  const x5c = unprotected.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) malformed('the unprotected header has no "x5c" certificate chain');
  const chain = (x5c as unknown[]).map((c, i) => decodeBase64Strict(c) ?? malformed(`x5c[${i}] is not standard base64`));
  const agent = unprotected[Header.SigningAgent];
  if (agent !== undefined && typeof agent !== 'string') malformed(`${Header.SigningAgent} is not a string`);
  const tsa = unprotected[Header.TimestampSignature];
  const timestampToken = tsa === undefined ? undefined
    : (decodeBase64Strict(tsa) ?? malformed(`${Header.TimestampSignature} is not standard base64`));

  return {
    algorithm: algorithm.name,
    contentType,
    signingScheme: scheme,
    signingTime,
    ...(expiry === undefined ? {} : { expiry }),
    critical: critical as string[],
    protectedNames,
    payload,
    signedBytes: new TextEncoder().encode(`${protectedB64}.${payloadB64}`),
    signature,
    chain,
    ...(typeof agent === 'string' ? { signingAgent: agent } : {}),
    ...(timestampToken === undefined ? {} : { timestampToken }),
    pssSalt: 'any',
  };
}
