/**
 * Writes the containers/image "simple signing" payload a GPG signature wraps (read back by
 * ../simple-signing/read-simple-signing-payload.ts). c/image builds it from Go
 * maps, so json.Marshal writes the keys sorted — critical{identity, image, type}, optional{creator,
 * timestamp} — compact, no trailing newline; its strict parser demands exactly those critical keys
 * and an `optional` object. We write the same bytes for the same values.
 */
import { GPG_SIGNATURE_TYPE } from '../simple-signing/read-simple-signing-payload.js';

/** What the GPG payload says. */
export interface GpgPayloadFields {
  /** The docker-reference (normalized, e.g. "127.0.0.1:5000/app:1.4"). */
  identity: string;
  /** "sha256:<hex>" of the signed manifest or index. */
  digest: string;
  /** optional.creator, e.g. "airsign 0.1.0". */
  creator: string;
  /** optional.timestamp, whole seconds since the epoch. */
  timestamp: number;
}

/** Go's json.Marshal string escaping: JSON.stringify plus <, >, & and U+2028/9 as \u escapes. */
function goString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The payload bytes containers/image writes for these fields. */
export function gpgSimpleSigningPayload(p: GpgPayloadFields): Uint8Array {
  if (!Number.isSafeInteger(p.timestamp)) throw new RangeError(`timestamp must be an integer, got ${p.timestamp}`);
  const text =
    `{"critical":{"identity":{"docker-reference":${goString(p.identity)}},` +
    `"image":{"docker-manifest-digest":${goString(p.digest)}},` +
    `"type":${goString(GPG_SIGNATURE_TYPE)}},` +
    `"optional":{"creator":${goString(p.creator)},"timestamp":${p.timestamp}}}`;
  return new TextEncoder().encode(text);
}
