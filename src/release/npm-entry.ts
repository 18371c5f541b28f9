/**
 * Entry point of the bundled CLI for the npm package (dist/airsign.cjs, see scripts/release-bundle.mjs):
 * the same CLI as dist/cli/main.js in one file, yargs with its locales inside, koffi from node_modules.
 */
import { main } from '../cli/main.js';
import { useBundledYargs } from '../cli/load-yargs.js';
import { bundledYargsParts } from './bundled-yargs.js';

useBundledYargs(bundledYargsParts());
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
