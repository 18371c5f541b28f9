/**
 * The formats `sign` offers, loaded by name: a run loads the code of the formats it names and no
 * other (GPG's OpenPGP packets, cosign's bundle, … each cost start-up time). The same formats,
 * options and order as defaultFormats() (test/unit/formats/selected-formats.test.ts compares them).
 */
import type { DefaultFormatOptions } from './default-formats.js';
import { createFormatRegistry, type FormatRegistry } from './registry.js';
import type { SignatureFormat } from './signature-format.js';

/** Each format `sign` offers, in `--help` order, and how to make it. */
const LOADERS: Readonly<Record<string, (options: DefaultFormatOptions) => Promise<SignatureFormat>>> = {
  notation: async (options) => (await import('./notation/notation-format.js')).createNotationFormat('jws', notationOptions(options)),
  'notation-cose': async (options) => (await import('./notation/notation-format.js')).createNotationFormat('cose', notationOptions(options)),
  cosign: async () => (await import('./cosign/cosign-sig-format.js')).createCosignSigFormat(),
  'cosign-bundle': async () => (await import('./cosign/cosign-bundle-format.js')).createCosignBundleFormat(),
  gpg: async (options) => (await import('./gpg/gpg-format.js')).createGpgFormat(options.gpg),
};

/** The ids of the formats `sign` offers, in `--help` order. */
export const SIGN_FORMAT_IDS: readonly string[] = Object.keys(LOADERS);

function notationOptions(options: DefaultFormatOptions) {
  return options.notationManifest === undefined ? {} : { manifest: options.notationManifest };
}

/**
 * A registry holding the formats named in `ids` (loaded now), for signLayout. When `ids` is empty
 * or names an unknown format it holds every format, so that select() reports the mistake with the
 * full list of known ids, exactly as defaultFormatRegistry() does.
 */
export async function selectedFormatRegistry(ids: readonly string[], options: DefaultFormatOptions = {}): Promise<FormatRegistry> {
  const named = ids.length > 0 && ids.every((id) => Object.hasOwn(LOADERS, id)) ? SIGN_FORMAT_IDS.filter((id) => ids.includes(id)) : SIGN_FORMAT_IDS;
  return createFormatRegistry(await Promise.all(named.map((id) => LOADERS[id]!(options))));
}
