#!/usr/bin/env node
// Bench helper: a full copy of a layout tar through airsign's engine (openLayout + writeLayout with
// no changes): every blob streamed and digest-verified into a new tar, temp file + fsync + rename.
// Usage: node scripts/bench/engine-copy.mjs IN.tar OUT.tar   (needs `npm run build` first)
import { openLayout } from '../../dist/layout/open-layout.js';
import { writeLayout } from '../../dist/layout/write-layout.js';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  process.stderr.write('usage: node scripts/bench/engine-copy.mjs IN.tar OUT.tar\n');
  process.exit(2);
}
const layout = await openLayout(input);
try {
  const result = await writeLayout(layout, {}, { output });
  process.stdout.write(`${result.output}: ${result.blobs} blobs, ${result.bytes} bytes\n`);
} finally {
  await layout.close();
}
