/**
 * Loads the optional native dependency pkcs11js (CommonJS) on first use, so that file-key users
 * never need it and a missing build gives one clear error instead of a crash at import time.
 */
import { createRequire } from 'node:module';
import { airsignError } from '../../errors.js';

export type Pkcs11Lib = typeof import('pkcs11js');
export type Pkcs11 = InstanceType<Pkcs11Lib['PKCS11']>;

/** Not exported by pkcs11js 2.1.7 (PKCS#11 3.0 values). */
export const CKM_EDDSA = 0x1057;
export const CKK_EC_EDWARDS = 0x40;

let cached: Pkcs11Lib | undefined;

export function loadPkcs11js(): Pkcs11Lib {
  if (cached) return cached;
  try {
    cached = createRequire(import.meta.url)('pkcs11js') as Pkcs11Lib;
  } catch (error) {
    throw airsignError('PKCS11_JS_MISSING', pkcs11jsMissingMessage(process.platform), { cause: error });
  }
  return cached;
}

/**
 * pkcs11js ships no prebuilt binaries: npm compiles it, and silently skips it (it is optional) when
 * no compiler is there. So the error names what to install on this platform.
 */
export function pkcs11jsMissingMessage(platform: NodeJS.Platform): string {
  const needs =
    platform === 'win32'
      ? 'Visual Studio Build Tools ("Desktop development with C++") and Python 3'
      : platform === 'darwin'
        ? 'the Xcode command line tools (xcode-select --install) and Python 3'
        : 'a C++ compiler, make and Python 3 (Debian/Ubuntu: apt-get install build-essential python3)';
  return `PKCS#11 support is not installed: the optional package pkcs11js is missing or failed to build; install ${needs}, then run npm install pkcs11js`;
}
