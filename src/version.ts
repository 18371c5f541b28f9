import { readFileSync } from 'node:fs';

/** Set by the release bundle (esbuild `define`): there is no package.json next to a single-file binary. */
declare const AIRSIGN_BUNDLED_VERSION: string | undefined;

/** The package version: fixed at bundle time, or read once from package.json next to dist/ or src/. */
export const VERSION: string = (() => {
  if (typeof AIRSIGN_BUNDLED_VERSION === 'string') return AIRSIGN_BUNDLED_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
