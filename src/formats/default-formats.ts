/**
 * The formats `airsign sign` offers, in `--help` order. Add cosign / GPG simple signing here.
 */
import { notationCoseFormat, notationJwsFormat } from './notation/notation-format.js';
import { createFormatRegistry, type FormatRegistry } from './registry.js';
import type { SignatureFormat } from './signature-format.js';

export const DEFAULT_FORMATS: readonly SignatureFormat[] = [notationJwsFormat, notationCoseFormat];

export function defaultFormatRegistry(): FormatRegistry {
  return createFormatRegistry(DEFAULT_FORMATS);
}
