/**
 * OCI digests: parsing, formatting and streaming verification. Bulk hashing uses node:crypto
 * (several times faster than a JS implementation on layer data).
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { airsignError } from './errors.js';
import { BlobHasher } from './layout/blob-hash.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

/** `<alg>:<hex>` as it appears in descriptors. */
export type Digest = `${string}:${string}`;

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** Lower-case hex. */
  hex: string;
}

/** Parses and validates a digest we can verify (sha256/sha512); throws LAYOUT_BAD_DIGEST otherwise. */
export function parseDigest(value: unknown): ParsedDigest {
  if (typeof value !== 'string' || !DIGEST_GRAMMAR.test(value)) {
    throw airsignError('LAYOUT_BAD_DIGEST', `not a valid digest: ${describe(value)}`);
  }
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw airsignError('LAYOUT_UNSUPPORTED_DIGEST', `unsupported digest algorithm "${algorithm}" in ${value}`);
  }
  if (hex.length !== ENCODED_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw airsignError('LAYOUT_BAD_DIGEST', `not a valid ${algorithm} digest: ${value}`);
  }
  return { algorithm, hex };
}

/** The digest of bytes held in memory (manifests, configs, signatures: never layers). */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Hex SHA-256 of bytes in memory. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A pass-through stream that checks size and digest of what flows through it. It fails with
 * LAYOUT_SIZE_MISMATCH as soon as more than `size` bytes arrive, and at the end with
 * LAYOUT_SIZE_MISMATCH (short) or LAYOUT_DIGEST_MISMATCH. `what` names the blob in messages.
 */
export class VerifyingStream extends Transform {
  private readonly hash: BlobHasher;
  private seen = 0;

  constructor(
    private readonly expected: { digest: string; size: number },
    private readonly what: string = expected.digest,
  ) {
    super();
    this.hash = new BlobHasher(parseDigest(expected.digest).algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected.size) {
      callback(sizeMismatch(this.what, this.expected, this.seen, `more than ${this.expected.size}`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      callback(sizeMismatch(this.what, this.expected, this.seen));
      return;
    }
    const actual = this.hash.digest();
    if (actual !== this.expected.digest) {
      callback(
        airsignError('LAYOUT_DIGEST_MISMATCH', `content of ${this.what} does not match its digest (got ${actual})`, {
          details: { digest: this.expected.digest, expected: this.expected.digest, actual },
        }),
      );
      return;
    }
    callback();
  }
}

/** Checks bytes in memory against a descriptor's digest and size. */
export function verifyBytes(bytes: Uint8Array, expected: { digest: string; size: number }, what = expected.digest): void {
  if (bytes.length !== expected.size) throw sizeMismatch(what, expected, bytes.length);
  const actual = digestOf(bytes, parseDigest(expected.digest).algorithm);
  if (actual !== expected.digest) {
    throw airsignError('LAYOUT_DIGEST_MISMATCH', `content of ${what} does not match its digest (got ${actual})`, {
      details: { digest: expected.digest, expected: expected.digest, actual },
    });
  }
}

/** `actual` is the bytes seen (so far, when `actualText` says "more than"). */
function sizeMismatch(what: string, expected: { digest: string; size: number }, actual: number, actualText = String(actual)) {
  return airsignError('LAYOUT_SIZE_MISMATCH', `${what} has ${actualText} bytes, its descriptor says ${expected.size}`, {
    details: { digest: expected.digest, expected: expected.size, actual },
  });
}

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
