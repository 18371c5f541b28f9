/**
 * The formats `airsign sign` offers, in `--help` order, each created with its options (the GPG
 * format with its lookaside directory). Add cosign here.
 */
import { createGpgFormat, type GpgFormatOptions } from './gpg/gpg-format.js';
import { notationCoseFormat, notationJwsFormat } from './notation/notation-format.js';
import { createFormatRegistry, type FormatRegistry } from './registry.js';
import type { SignatureFormat } from './signature-format.js';

/** Per-format options, by format. */
export interface FormatOptions {
  gpg?: GpgFormatOptions;
}

/** The signature formats the CLI offers, in `--help` order (Notation JWS, Notation COSE, GPG), created with their options. */
export function defaultFormats(options: FormatOptions = {}): SignatureFormat[] {
  return [notationJwsFormat, notationCoseFormat, createGpgFormat(options.gpg)];
}

/** The default formats without options (for --help and for lookups that need none). */
export const DEFAULT_FORMATS: readonly SignatureFormat[] = defaultFormats();

/** A registry of the default formats: what signLayout uses when no `registry` is given. */
export function defaultFormatRegistry(options: FormatOptions = {}): FormatRegistry {
  return createFormatRegistry(defaultFormats(options));
}
