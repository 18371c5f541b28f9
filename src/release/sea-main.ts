/**
 * The main script of the single-file release: runs the CLI bundle (the asset `airsign.js`, made
 * from sea-entry.ts by scripts/release.mjs) with a V8 code cache made at build time.
 *
 * Why not Node's own SEA code cache (`useCodeCache`) for the bundle: Node makes it by compiling
 * the main script without running it, and V8 compiles a function's body only when it is first
 * called, so that cache holds little beyond the top level. The cache here (the asset
 * `airsign.cache`) is V8's cache of the same script taken after scripts/release-train-cache.mjs ran
 * the common commands (inspect, strip, repack, sign, verify, version) with the target's own node,
 * so the functions those commands call are compiled already: `sign` starts about 45 ms sooner.
 * A cache V8 rejects (another node or other flags; neither should happen) only loses that time.
 * Both files compile the asset's text as it is: it is already wrapped as a CommonJS function.
 */
import { getAsset } from 'node:sea';
import { Script } from 'node:vm';

type ModuleFunction = (exports: unknown, requireFn: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;

// The asset is ASCII (scripts/release.mjs makes it so): read as Latin-1, without UTF-8 decoding.
const source = Buffer.from(getAsset('airsign.js')).toString('latin1');
const script = new Script(source, { filename: 'airsign.js', cachedData: new Uint8Array(getAsset('airsign.cache')) });
const run = script.runInThisContext() as ModuleFunction;
run.call(module.exports, module.exports, require, module, __filename, __dirname);
