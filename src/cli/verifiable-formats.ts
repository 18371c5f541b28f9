/**
 * The format names `verify --format` and `verify-signature --format` offer: the ids of the formats
 * verify knows (src/formats/default-verifications.ts, the verify side of the formats sign offers),
 * in registry order, read without loading any format's signing or checking code.
 */
import { DEFAULT_VERIFICATIONS } from '../formats/default-verifications.js';

export function verifiableFormatIds(): string[] {
  return DEFAULT_VERIFICATIONS.map((v) => v.id);
}
