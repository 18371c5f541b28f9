/**
 * SHA-256 for tests, computed with node:crypto rather than src/digest.ts (the code under test), in the
 * three shapes the tests compare against: bare hex, an OCI digest `sha256:<hex>`, and a file's hex.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Lower-case hex SHA-256 of the bytes (a string is hashed as UTF-8). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The OCI digest of the bytes: `sha256:<hex>`. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${sha256Hex(bytes)}`;
}

/** Lower-case hex SHA-256 of a file's contents. */
export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}
