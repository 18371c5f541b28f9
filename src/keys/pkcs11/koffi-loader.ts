/**
 * The one place koffi (the FFI library the PKCS#11 layer calls modules through) is obtained.
 *
 * By default it is the npm package `koffi`, loaded on first use (so file-key runs never load it).
 * The single-file release (src/release/sea-entry.ts) has no node_modules: it installs a loader that
 * writes koffi's native library out of the executable and loads it, and hands back the same API.
 */
import { createRequire } from 'node:module';

export type Koffi = typeof import('koffi');

let loader: () => Koffi = () => createRequire(import.meta.url)('koffi') as Koffi;
let cached: Koffi | undefined;

/** koffi, loaded once; throws what the loader throws (the caller turns it into its own error). */
export function loadKoffi(): Koffi {
  cached ??= loader();
  return cached;
}

/** Replaces how koffi is loaded (before the first loadKoffi call). */
export function setKoffiLoader(next: () => Koffi): void {
  loader = next;
  cached = undefined;
}
