#!/usr/bin/env node
// Thin launcher. `npm run build` makes the CLI twice from the same sources: dist/cli/main.js and
// its ES modules (what the library's users import), and dist/airsign.cjs, the same CLI bundled into
// one file (scripts/release-bundle.mjs), which starts faster: `sign` with a file key took 28-34%
// less CPU time from the bundle than from the modules (Node 20 and 22, hyperfine, same run).
// AIRSIGN_CLI_MODULES=1 runs the modules instead (tests that check which modules a command loads).
import { existsSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Node >= 22.1 can keep compiled code between runs (in the OS temp directory), which shortens
// start-up; on older Node this does nothing. It must run before the CLI's code loads.
module.enableCompileCache?.();

const bundle = new URL('../dist/airsign.cjs', import.meta.url);
try {
  if (process.env.AIRSIGN_CLI_MODULES !== '1' && existsSync(bundle)) {
    createRequire(import.meta.url)(fileURLToPath(bundle)); // runs the CLI and sets process.exitCode
  } else {
    const { main } = await import('../dist/cli/main.js');
    process.exitCode = await main(process.argv.slice(2));
  }
} catch (error) {
  // A clone before `npm ci` (no dist/, or no node_modules/): say what to run, not a module stack.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || process.argv.includes('--debug')) throw error;
  const root = decodeURIComponent(new URL('..', import.meta.url).pathname);
  process.stderr.write(`airsign: not installed yet (${String(error.message).split('\n')[0]}): run \`npm ci\` in ${root}\n`);
  process.exitCode = 70;
}
