/**
 * The "simple signing" payload that GPG and cosign signatures carry, read as strictly as
 * containers/image reads it (`signature/simple.go`): exactly `critical` and `optional`; `critical`
 * exactly `type`, `image` {`docker-manifest-digest`} and `identity` {`docker-reference`}; duplicate
 * keys refused; `optional` may be null (cosign), an integer `timestamp` and a string `creator`.
 * Also the manifest digest as containers/image computes it (schema 1 signed manifests hash their
 * payload without the JWS signatures).
 */
import { createHash } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { duplicateJsonKey, isJsonObject } from '../../json-object.js';

export const GPG_SIGNATURE_TYPE = 'atomic container signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  dockerManifestDigest: string;
  dockerReference: string;
  creator?: string;
  timestamp?: number;
}

/** Parses `bytes` as a payload of `type`; throws verification SIMPLE_SIGNING_INVALID. */
export function parseSimpleSigningPayload(bytes: Uint8Array, type: string): SimpleSigningPayload {
  const invalid = (message: string): never => {
    throw airsignError('SIMPLE_SIGNING_INVALID', `the signed content is not a valid signature payload: ${message}`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return invalid('not UTF-8 text');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return invalid('not JSON');
  }
  const duplicate = duplicateJsonKey(text);
  if (duplicate !== undefined) invalid(`duplicate key "${duplicate}"`);
  const top = exactObject(doc, ['critical', 'optional'], 'the payload', invalid);
  const result: Partial<SimpleSigningPayload> = {};
  if (top.optional !== null) {
    if (!isJsonObject(top.optional)) return invalid('"optional" is not an object');
    if (top.optional.creator !== undefined) {
      if (typeof top.optional.creator !== 'string') invalid('optional.creator is not a string');
      result.creator = top.optional.creator as string;
    }
    if (top.optional.timestamp !== undefined) {
      if (typeof top.optional.timestamp !== 'number' || !Number.isInteger(top.optional.timestamp)) invalid('optional.timestamp is not an integer');
      result.timestamp = top.optional.timestamp as number;
    }
  }
  const critical = exactObject(top.critical, ['type', 'image', 'identity'], '"critical"', invalid);
  if (critical.type !== type) invalid(`unrecognized signature type ${JSON.stringify(critical.type)} (expected "${type}")`);
  const image = exactObject(critical.image, ['docker-manifest-digest'], 'critical.image', invalid);
  const identity = exactObject(critical.identity, ['docker-reference'], 'critical.identity', invalid);
  if (typeof image['docker-manifest-digest'] !== 'string') invalid('docker-manifest-digest is not a string');
  if (typeof identity['docker-reference'] !== 'string') invalid('docker-reference is not a string');
  return { ...result, dockerManifestDigest: image['docker-manifest-digest'] as string, dockerReference: identity['docker-reference'] as string };
}

/**
 * Whether `manifest` has `digest` as containers/image decides it (manifest.MatchesDigest). Throws
 * verification SIMPLE_SIGNING_DIGEST_MISMATCH when it does not or cannot be computed.
 */
export function checkManifestDigest(manifest: Uint8Array, digest: string): void {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  if (colon < 0 || !['sha256', 'sha384', 'sha512'].includes(algorithm) || !/^[a-f0-9]+$/.test(digest.slice(colon + 1))) {
    throw airsignError('SIMPLE_SIGNING_DIGEST_MISMATCH', `the signed manifest digest "${digest}" is not a supported digest`);
  }
  const payload = schema1Payload(manifest);
  const actual = `${algorithm}:${createHash(algorithm).update(payload).digest('hex')}`;
  if (actual !== digest) {
    throw airsignError('SIMPLE_SIGNING_DIGEST_MISMATCH', `the signature is for manifest ${digest}, but the manifest is ${actual}`, { details: { signed: digest, actual } });
  }
}

/** The bytes Docker hashes: the manifest itself, or for a signed schema 1 manifest its JWS payload. */
function schema1Payload(manifest: Uint8Array): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifest));
  } catch {
    return manifest; // not JSON: hashed as given (it will not match a signed digest by chance)
  }
  if (!isJsonObject(doc) || doc.schemaVersion !== 1 || doc.signatures === undefined) return manifest;
  const fail = (): never => {
    throw airsignError('SIMPLE_SIGNING_DIGEST_MISMATCH', 'the manifest is a signed schema 1 manifest whose signatures cannot be read, so its digest cannot be computed');
  };
  if (!Array.isArray(doc.signatures) || doc.signatures.length === 0) return fail();
  let payload: Uint8Array | undefined;
  for (const sig of doc.signatures) {
    if (!isJsonObject(sig) || typeof sig.protected !== 'string') return fail();
    let header: unknown;
    try {
      header = JSON.parse(Buffer.from(sig.protected, 'base64url').toString('utf8'));
    } catch {
      return fail();
    }
    if (!isJsonObject(header) || typeof header.formatLength !== 'number' || typeof header.formatTail !== 'string') return fail();
    if (header.formatLength < 0 || header.formatLength > manifest.length) return fail();
    const tail = Buffer.from(header.formatTail, 'base64url');
    const candidate = Buffer.concat([manifest.subarray(0, header.formatLength), tail]);
    if (payload !== undefined && !Buffer.from(payload).equals(candidate)) return fail();
    payload = new Uint8Array(candidate);
  }
  return payload!;
}

function exactObject(value: unknown, keys: string[], what: string, invalid: (m: string) => never): Record<string, unknown> {
  if (!isJsonObject(value)) return invalid(`${what} is not an object`);
  const actual = Object.keys(value);
  for (const key of keys) if (!(key in value)) invalid(`${what} has no "${key}"`);
  const extra = actual.find((k) => !keys.includes(k));
  if (extra !== undefined) invalid(`${what} has an unexpected field "${extra}"`);
  return value;
}


