/**
 * The formats `airsign sign` offers, in `--help` order, each created with its own options (a format's
 * options belong to it, not to the shared sign context: the Notation manifest variant, GPG's
 * lookaside directory).
 */
import { createGpgFormat, type GpgFormatOptions } from './gpg/gpg-format.js';
import { createCosignBundleFormat } from './cosign/cosign-bundle-format.js';
import { createCosignSigFormat } from './cosign/cosign-sig-format.js';
import { createNotationFormat } from './notation/notation-format.js';
import type { NotationManifestVariant } from './notation/signature-manifest.js';
import { createFormatRegistry, type FormatRegistry } from './registry.js';
import type { SignatureFormat } from './signature-format.js';

/** Per-format options, each read only by its format. */
export interface DefaultFormatOptions {
  /** `--notation-manifest` (notation, notation-cose). */
  notationManifest?: NotationManifestVariant;
  /** `--lookaside` and the other GPG options. */
  gpg?: GpgFormatOptions;
}

/** Every format `sign` offers, created with `options`, in `--help` order. */
export function defaultFormats(options: DefaultFormatOptions = {}): SignatureFormat[] {
  const notation = options.notationManifest === undefined ? {} : { manifest: options.notationManifest };
  return [
    createNotationFormat('jws', notation),
    createNotationFormat('cose', notation),
    createCosignSigFormat(),
    createCosignBundleFormat(),
    createGpgFormat(options.gpg),
  ];
}

/** A registry of the default formats created with `options`: what signLayout uses when no `registry` is given. */
export function defaultFormatRegistry(options: DefaultFormatOptions = {}): FormatRegistry {
  return createFormatRegistry(defaultFormats(options));
}
