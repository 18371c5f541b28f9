/**
 * The one place koffi (the FFI library the PKCS#11 layer calls modules through) is obtained. By
 * default it is the npm package `koffi`, loaded on first use and once, so file-key users never load
 * it. The single-file release registers its own loader (it writes koffi's native library out of the
 * executable) with setKoffiLoader before any PKCS#11 call. Nothing here reads the environment.
 */
import { createRequire } from 'node:module';
import { airsignError, isAirsignError } from '../../errors.js';

export type Koffi = typeof import('koffi');

let loader: () => Koffi = () => createRequire(import.meta.url)('koffi') as Koffi;
let cached: Koffi | undefined;

/** Replaces how koffi is loaded (before the first PKCS#11 call; a later call forgets a loaded copy). */
export function setKoffiLoader(next: () => Koffi): void {
  loader = next;
  cached = undefined;
}

/** koffi, loaded once; PKCS11_SUPPORT_MISSING (exit 3) when it cannot be loaded, or the loader's own airsign error. */
export function loadKoffi(): Koffi {
  if (cached) return cached;
  try {
    cached = loader();
  } catch (error) {
    // A loader's own airsign error (the release's NATIVE_LIBRARY_UNAVAILABLE: no cache directory
    // where the library can be written and loaded) already says what to do.
    if (isAirsignError(error)) throw error;
    throw airsignError('PKCS11_SUPPORT_MISSING', koffiMissingMessage(process.platform, process.arch, error), { cause: error });
  }
  return cached;
}

/** One line: what failed to load and how to get it back (koffi ships prebuilt, so no build tools). */
function koffiMissingMessage(platform: NodeJS.Platform, arch: string, error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? ` (${error.code})` : '';
  return `PKCS#11 support could not be loaded: the koffi package or its native library for ${platform}-${arch} is missing or does not load${code}; reinstall airsign with npm ci (koffi ships prebuilt for this platform as @koromix/koffi-${platform}-${arch}; optional dependencies must not be omitted)`;
}
