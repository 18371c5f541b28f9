/**
 * The formats `airsign sign` offers, in `--help` order. Add cosign / GPG simple signing here.
 */
import { notationCoseFormat, notationJwsFormat } from './notation/notation-format.js';
import { createFormatRegistry, type FormatRegistry } from './registry.js';
import type { SignatureFormat } from './signature-format.js';

/** The signature formats the CLI offers, in `--help` order (Notation JWS, Notation COSE). */
export const DEFAULT_FORMATS: readonly SignatureFormat[] = [notationJwsFormat, notationCoseFormat];

/** A registry of DEFAULT_FORMATS: what signLayout uses when no `registry` is given. */
export function defaultFormatRegistry(): FormatRegistry {
  return createFormatRegistry(DEFAULT_FORMATS);
}
