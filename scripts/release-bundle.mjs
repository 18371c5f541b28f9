// Bundles the airsign CLI into one CommonJS file with esbuild, for the single-file release
// (scripts/release.mjs). What a plain bundle gets wrong, and what this does about it:
// - yargs is built from its private factory (src/cli/load-yargs.ts): the release entry hands it
//   the bundled parts of src/release/bundled-yargs.ts, whose `airsign-bundle:` names are resolved
//   here to yargs' and y18n's files, and yargs' locale files become one generated module (their texts);
// - src/x509/asn1-packages.ts makes its own `require` with createRequire (fast for the ES module
//   build); here that one line is dropped so its require() calls are bundled (checked: exactly once);
// - the version and koffi's hash are fixed with `define`; import.meta.url (empty in CommonJS) is
//   the bundle's own file URL.
// Deterministic: same sources and node_modules give the same bytes (no timestamps, no absolute paths
// in the output: esbuild writes paths relative to the working directory in comments only).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireHere = createRequire(join(ROOT, 'package.json'));

function packageRoot(resolved) {
  let dir = dirname(resolved);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name) return dir;
    } catch {
      // go up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${resolved}`);
    dir = up;
  }
}

const yargsRoot = packageRoot(requireHere.resolve('yargs'));
const yargsShimDir = join(yargsRoot, 'lib', 'platform-shims');
const requireFromYargs = createRequire(join(yargsShimDir, 'esm.mjs'));
const y18nRoot = packageRoot(requireFromYargs.resolve('y18n'));

const ASN1_REQUIRE_LINE = 'const require = createRequire(import.meta.url);\n';

/** @type {esbuild.Plugin} */
const airsignBundlePlugin = {
  name: 'airsign-bundle',
  setup(build) {
    const fixed = {
      'airsign-bundle:yargs-factory': join(yargsRoot, 'build', 'lib', 'yargs-factory.js'),
      'airsign-bundle:yargs-process-argv': join(yargsRoot, 'build', 'lib', 'utils', 'process-argv.js'),
      'airsign-bundle:y18n': join(y18nRoot, 'build', 'lib', 'index.js'),
    };
    build.onResolve({ filter: /^airsign-bundle:/ }, async (args) => {
      if (Object.hasOwn(fixed, args.path)) return { path: fixed[args.path] };
      if (args.path === 'airsign-bundle:yargs-locales') return { path: 'yargs-locales', namespace: 'airsign-generated' };
      const name = args.path === 'airsign-bundle:yargs-parser' ? 'yargs-parser' : args.path.replace(/^airsign-bundle:yargs-dep:/, '');
      if (name === args.path) return { errors: [{ text: `unknown bundle module ${args.path}` }] };
      const result = await build.resolve(name, { resolveDir: yargsShimDir, kind: args.kind === 'require-call' ? 'require-call' : 'import-statement' });
      return result.errors.length > 0 ? { errors: result.errors } : { path: result.path };
    });
    build.onLoad({ filter: /^yargs-locales$/, namespace: 'airsign-generated' }, () => {
      const dir = join(yargsRoot, 'locales');
      const names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
      // Each file's text as a string: y18n parses only the one locale it uses, at start-up nothing
      // else is built (as object literals, every locale's object was made on every run).
      const entries = names.map((f) => `${JSON.stringify(f.slice(0, -5))}: ${JSON.stringify(readFileSync(join(dir, f), 'utf8'))}`);
      return { contents: `export default { ${entries.join(',\n')} };\n`, loader: 'js', resolveDir: dir };
    });
    build.onLoad({ filter: /[\\/]src[\\/]x509[\\/]asn1-packages\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.split(ASN1_REQUIRE_LINE).length !== 2) {
        return { errors: [{ text: `${args.path} no longer has exactly one line "${ASN1_REQUIRE_LINE.trim()}"; update scripts/release-bundle.mjs` }] };
      }
      return { contents: text.replace(ASN1_REQUIRE_LINE, ''), loader: 'ts' };
    });
  },
};

/**
 * Bundles `entry` (a file under src/) into `outfile`.
 * @param {{ entry: string, outfile: string, define?: Record<string, string> }} options
 */
export async function bundle({ entry, outfile, define = {} }) {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['koffi', 'pkcs11js'],
    banner: { js: 'const __airsignBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__airsignBundleUrl', AIRSIGN_BUNDLED_VERSION: JSON.stringify(version), ...define },
    plugins: [airsignBundlePlugin],
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  return result;
}

/** The npm package's CLI in one file (`npm run build`; bin/airsign.js starts from it). */
export async function bundleForNpm() {
  await bundle({ entry: 'src/release/npm-entry.ts', outfile: join(ROOT, 'dist', 'airsign.cjs') });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--npm') await bundleForNpm();
  else {
    const [entry = 'src/release/sea-entry.ts', outfile = 'release/build/airsign.cjs'] = process.argv.slice(2);
    await bundle({ entry, outfile, define: { AIRSIGN_KOFFI_SHA256: '"unset"', AIRSIGN_KOFFI_VERSION: '"unset"' } });
  }
}
