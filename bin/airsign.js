#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built by `npm ci` / `npm run build`).
import module from 'node:module';

// Node >= 22.1 can keep compiled code between runs (in the OS temp directory), which shortens
// start-up; on older Node this does nothing. It must run before the CLI's modules load.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
