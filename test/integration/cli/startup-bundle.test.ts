/**
 * Start-up guard for the bundle (dist/airsign.cjs, what bin/airsign.js runs; the single-file
 * release is built the same way): esbuild turns each of our `import()`s into code that runs on first
 * use, so a command runs only the modules it needs, as the ES modules do (startup-modules.test.ts).
 * A copy of the bundle is made whose module wrappers (esbuild's __esm / __commonJS helpers) record
 * each module as it first runs; the test runs commands with it and checks what ran. Not a timing:
 * a change that makes a command run everything again (a static import of a heavy module, a format
 * registry built at load) fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const BUNDLE = fileURLToPath(new URL('../../../dist/airsign.cjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../samples/single.tar', import.meta.url));

const ESM_HELPER = 'var __esm = (fn, res, err) => function __init() {\n';
const CJS_HELPER = 'var __commonJS = (cb, mod2) => function __require() {\n';

let dir: string;
let layers: string;
let run = 0;

/** The bundle with its module wrappers recording, and Node's own modules listed at exit. */
function tracedBundle(text: string, out: string): string {
  // If esbuild ever changes these helpers, this fails here (update the two strings above).
  expect(text.includes(ESM_HELPER), 'esbuild __esm helper').toBe(true);
  expect(text.includes(CJS_HELPER), 'esbuild __commonJS helper').toBe(true);
  const record = 'globalThis.__airsignRan ??= []).push';
  return text
    .replace(ESM_HELPER, `${ESM_HELPER}  if (fn) (${record}(__getOwnPropNames(fn)[0]);\n`)
    .replace(CJS_HELPER, `${CJS_HELPER}  if (!mod2) (${record}(__getOwnPropNames(cb)[0]);\n`)
    .replace(
      '"use strict";',
      `"use strict";process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, [...(globalThis.__airsignRan ?? []), ...process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => "builtin:" + m.slice(13))].join("\\n")));`,
    );
}

/** Runs the traced bundle; returns its exit code and the modules that ran (bundle paths, builtin:name). */
function ran(args: string[]): { code: number; stderr: string; modules: string[] } {
  const out = join(dir, `ran-${++run}.txt`);
  const copy = join(dir, `airsign-${run}.cjs`);
  writeFileSync(copy, tracedBundle(readFileSync(BUNDLE, 'utf8'), out));
  let code = 0;
  let stderr = '';
  try {
    execFileSync(process.execPath, [copy, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    code = (error as { status?: number }).status ?? -1;
    stderr = String((error as { stderr?: string }).stderr);
  }
  return { code, stderr, modules: readFileSync(out, 'utf8').split('\n').filter((line) => line !== '') };
}

const HELP_ONLY = [/node_modules\/(cliui|string-width|wrap-ansi|emoji-regex|escalade)\//];
const ASN1 = [/@peculiar\//, /node_modules\/asn1js\//];
/**
 * Node modules no command here needs. worker_threads comes with the first hash worker, which only a
 * large blob starts (checked here, not in startup-modules.test.ts: its loader hooks load it).
 */
const UNUSED_BUILTINS = [/^builtin:zlib$/, /^builtin:assert$/, /^builtin:tty$/, /^builtin:readline$/, /^builtin:worker_threads$/];

function expectNone(modules: string[], patterns: RegExp[]): void {
  for (const pattern of patterns) expect(modules.filter((m) => pattern.test(m))).toEqual([]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airsign-startup-bundle-'));
  layers = join(dir, 'layers');
  expect(runCli(['strip', SAMPLE, '--directory', layers, '--output', join(dir, 'stripped.tar')]).code).toBe(0);
  expect(runCli(['key', 'generate', '--type', 'ecdsa-p256', '--output', join(dir, 'key.pem')]).code).toBe(0);
  expect(runCli(['cert', 'create', '--key', join(dir, 'key.pem'), '--subject', 'C=US,ST=WA,O=airsign test,CN=bundle', '--days', '2', '-o', join(dir, 'cert.pem')]).code).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI start-up from the bundle: modules run per command', () => {
  it('records what runs (the tracing works)', () => {
    const r = ran(['inspect', SAMPLE]);
    expect(r.code).toBe(0);
    expect(r.modules).toContain('src/cli/commands/inspect.ts');
    expect(r.modules).toContain('builtin:fs');
  });

  it('version and inspect run no command but their own, no signing, ASN.1 or help code, and no zlib/assert/tty', () => {
    for (const args of [['version'], ['inspect', SAMPLE]]) {
      const r = ran(args);
      expect(r.code, r.stderr).toBe(0);
      expectNone(r.modules, [/^src\/cli\/commands\/(?!(version|inspect|layout-arg)\.ts)/, /^src\/(formats|x509|timestamp)\//, ...ASN1, ...HELP_ONLY, ...UNUSED_BUILTINS]);
    }
  });

  it('strip and repack run no signing, ASN.1, PKCS#11 or help code', () => {
    const strip = ran(['strip', SAMPLE, '--directory', join(dir, 'strip-layers'), '--output', join(dir, 'strip-out.tar')]);
    const repack = ran(['repack', join(dir, 'stripped.tar'), '--directory', layers, '--output', join(dir, 'repacked.tar')]);
    for (const r of [strip, repack]) {
      expect(r.code, r.stderr).toBe(0);
      expectNone(r.modules, [/^src\/(formats|x509|timestamp|keys)\//, /pkcs11/, /koffi/, ...ASN1, ...HELP_ONLY, ...UNUSED_BUILTINS]);
    }
  });

  it('sign --format notation with a key file runs Notation JWS only: no other format, PKCS#11, TSA, CMS or help code', () => {
    const r = ran(['sign', join(dir, 'stripped.tar'), '--key', join(dir, 'key.pem'), '--cert', join(dir, 'cert.pem'), '--format', 'notation', '--output', join(dir, 'signed.tar')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.modules).toContain('src/formats/notation/jws-envelope.ts');
    expectNone(r.modules, [
      /^src\/formats\/(gpg|openpgp|cosign|cbor)\//,
      /^src\/formats\/default-formats\.ts$/,
      /cose-envelope/,
      /pkcs11/,
      /^src\/timestamp\//,
      /@peculiar\/asn1-(cms|tsp)/,
      ...HELP_ONLY,
      ...UNUSED_BUILTINS,
    ]);
  });

  it('--help runs the help renderer (the lazy parts still load when needed)', () => {
    const r = ran(['sign', '--help']);
    expect(r.code).toBe(0);
    expect(r.modules.some((m) => /node_modules\/cliui\//.test(m))).toBe(true);
  });
});
