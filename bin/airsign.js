#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built by `npm ci` / `npm run build`).
import module from 'node:module';

// Node >= 22.1 can keep compiled code between runs (in the OS temp directory), which shortens
// start-up; on older Node this does nothing. It must run before the CLI's modules load.
module.enableCompileCache?.();

try {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // A clone before `npm ci` (no dist/, or no node_modules/): say what to run, not a module stack.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || process.argv.includes('--debug')) throw error;
  const root = decodeURIComponent(new URL('..', import.meta.url).pathname);
  process.stderr.write(`airsign: not installed yet (${String(error.message).split('\n')[0]}): run \`npm ci\` in ${root}\n`);
  process.exitCode = 70;
}
