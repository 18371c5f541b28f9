/**
 * Entry point of the single-file release (a Node single executable application, built by
 * scripts/release.mjs; its main script, sea-main.ts, runs this bundled with a trained code cache). Compared with bin/airsign.js it has no node_modules: yargs comes from the
 * bundle with its locales, and koffi's native library is a SEA asset written to a per-user cache
 * directory named by its hash (src/release/native-library.ts) when PKCS#11 is first used.
 * No top-level await: the bundle is CommonJS.
 */
import { getAsset } from 'node:sea';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { useBundledYargs } from '../cli/load-yargs.js';
import { setKoffiLoader, type Koffi } from '../keys/pkcs11/koffi-loader.js';
import { bundledYargsParts } from './bundled-yargs.js';
import { placeAndLoad } from './native-library.js';

/** Fixed at bundle time (esbuild `define`) from the koffi package built into this executable. */
declare const AIRSIGN_KOFFI_SHA256: string;
declare const AIRSIGN_KOFFI_VERSION: string;

/** Where koffi's library may be written, in the order tried (the first usable one wins). */
export function nativeLibraryDirectories(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const directories: string[] = [];
  const add = (directory: string | undefined, ...rest: string[]): void => {
    if (directory !== undefined && directory !== '') directories.push(join(directory, ...rest));
  };
  add(env['AIRSIGN_CACHE_DIR']);
  if (platform === 'win32') {
    add(env['LOCALAPPDATA'], 'airsign', 'native');
    add(tmpdir(), 'airsign-native');
  } else {
    add(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'airsign', 'native');
    add(env['XDG_RUNTIME_DIR'], 'airsign', 'native');
    add(tmpdir(), `airsign-native-${process.getuid?.() ?? 'user'}`);
  }
  return directories;
}

function loadEmbeddedKoffi(): Koffi {
  const { exports: native } = placeAndLoad(
    { name: `koffi-${AIRSIGN_KOFFI_VERSION}`, bytes: new Uint8Array(getAsset('koffi.node')), sha256: AIRSIGN_KOFFI_SHA256 },
    nativeLibraryDirectories(process.env, process.platform),
    (path) => {
      const module = { exports: {} as Record<string, unknown> };
      process.dlopen(module, path);
      if (module.exports['version'] !== AIRSIGN_KOFFI_VERSION) throw new Error(`expected koffi ${AIRSIGN_KOFFI_VERSION}, loaded ${String(module.exports['version'])}`);
      return module.exports;
    },
  );
  // The shape of require('koffi'): the native module's functions, and the same object as default.
  return { ...native, default: native } as unknown as Koffi;
}

useBundledYargs(bundledYargsParts());
setKoffiLoader(loadEmbeddedKoffi);
/** The run's exit code, once the command is done (scripts/release-train-cache.cjs awaits it). */
export const done: Promise<number> = main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  return code;
});
