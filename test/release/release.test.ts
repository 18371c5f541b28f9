/**
 * The single-file executables of `npm run release` (release/airsign-<version>-<target>), run where
 * a user runs them: linux-x64 inside Node-less Debian roots (chroot; bookworm and bullseye, made
 * and cached by scripts/release-roots.sh), linux-arm64 under qemu-aarch64-static, win-x64 under
 * wine. Each runs test/release/flow.sh: version, inspect, strip, key generate, cert create, key
 * export, sign in all five formats with a file key, repack, verify. Also: NODE_OPTIONS and Node
 * flags are ignored, no warning is printed, and koffi's native library is written once to a
 * hash-named per-user cache file, rewritten when changed, and placed elsewhere when the first
 * directory is noexec.
 *
 * Each part is skipped, with the reason in its name, when the executable was not built (run
 * `npm run release`), or the tool or privilege it needs is missing. scripts/test-ci.sh builds the
 * release and the roots first, so in CI nothing here is skipped.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../helpers/sha256.js';
import { testTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FLOW = join(ROOT, 'test', 'release', 'flow.sh');
const SAMPLE = join(ROOT, 'samples', 'single.tar');
const ROOTS = process.env['AIRSIGN_TEST_ROOTS'] ?? '/var/cache/airsign-test';
const RELEASE_CACHE = process.env['AIRSIGN_RELEASE_CACHE'] ?? join(homedir(), '.cache', 'airsign-release');
const WINEPREFIX = join(RELEASE_CACHE, 'wineprefix');
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const IS_ROOT = process.getuid?.() === 0;

const binary = (target: string): string => join(ROOT, 'release', `airsign-${VERSION}-${target}${target.startsWith('win') ? '.exe' : ''}`);
const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

/** Why a part cannot run here, or undefined when it can. */
function missing(target: string, needs: Array<[boolean, string]> = []): string | undefined {
  if (!existsSync(binary(target))) return `release not built (run npm run release): no ${binary(target)}`;
  return needs.find(([ok]) => !ok)?.[1];
}
const title = (what: string, reason: string | undefined): string => (reason === undefined ? what : `${what} — skipped: ${reason}`);

/** Plain environment for a run: no NODE_OPTIONS or other state of the test process leaks in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env['HOME'] ?? '/root', LANG: 'C.UTF-8', ...extra };
}

interface FlowRun {
  code: number;
  output: string;
}

/**
 * Runs flow.sh on a copy of samples/single.tar. Output goes to a file, not a pipe (node.exe under
 * wine fails with EBADF on pipes). `chrootRoot`: copies everything into that root and runs there.
 */
function runFlow(options: { bin: string; prefix?: string; chrootRoot?: string; env?: Record<string, string>; timeoutMs: number }): FlowRun {
  const base = options.chrootRoot === undefined ? tmpdir() : join(options.chrootRoot, 'tmp');
  const work = mkdtempSync(join(base, 'airsign-release-flow-'));
  try {
    copyFileSync(SAMPLE, join(work, 'app.tar'));
    copyFileSync(FLOW, join(work, 'flow.sh'));
    const bin = join(work, options.bin.endsWith('.exe') ? 'airsign.exe' : 'airsign');
    copyFileSync(options.bin, bin);
    chmodSync(bin, 0o755);
    const inside = (path: string): string => (options.chrootRoot === undefined ? path : path.slice(options.chrootRoot.length));
    const log = join(work, 'flow.log');
    const script = `exec /bin/sh ${inside(join(work, 'flow.sh'))} ${inside(bin)} ${inside(work)} > ${inside(log)} 2>&1 < /dev/null`;
    const command = options.chrootRoot === undefined ? ['sh', '-c', script] : ['chroot', options.chrootRoot, '/bin/sh', '-c', script];
    const env = cleanEnv({ ...(options.prefix === undefined ? {} : { AIRSIGN_RUN: options.prefix }), ...options.env });
    const result = spawnSync(command[0]!, command.slice(1), { env, stdio: 'ignore', timeout: options.timeoutMs });
    return { code: result.status ?? -1, output: existsSync(log) ? readFileSync(log, 'utf8') : String(result.error ?? '') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function expectFlowOk(run: FlowRun, platformLine: string): void {
  expect(run.output, run.output).toContain('flow: all ok');
  expect(run.code).toBe(0);
  expect(run.output).toContain(`airsign ${VERSION}`);
  expect(run.output).toMatch(/^node 22\.\d+\.\d+ \(inside this executable\)$/m);
  expect(run.output).toContain(platformLine);
  expect(run.output).toMatch(/^pkcs11 available \(koffi \d+\.\d+\.\d+\)$/m);
  // Nothing from Node itself (no ExperimentalWarning, no deprecation), and no stack trace.
  expect(run.output).not.toMatch(/ExperimentalWarning|DeprecationWarning|\(node:\d+\)|\n\s+at /);
}

function runBinary(bin: string, args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(bin, args, { env, encoding: 'utf8' });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe('linux-x64 single file on Node-less Debian roots (chroot)', () => {
  for (const [suite, glibc] of [
    ['bookworm', '2.36'],
    ['bullseye', '2.31'],
  ] as const) {
    const root = join(ROOTS, `${suite}-amd64`);
    const reason = missing('linux-x64', [
      [IS_ROOT, 'chroot needs root'],
      [existsSync(join(root, 'bin', 'sh')), `no ${suite} root at ${root} (run scripts/release-roots.sh)`],
    ]);
    it.skipIf(reason !== undefined)(title(`${suite} (glibc ${glibc}): version, inspect, strip, sign in 5 formats, repack, verify`, reason), () => {
      expect(spawnSync('chroot', [root, '/bin/sh', '-c', 'command -v node nodejs'], { env: cleanEnv() }).status).not.toBe(0);
      expectFlowOk(runFlow({ bin: binary('linux-x64'), chrootRoot: root, timeoutMs: 300_000 }), 'platform linux-x64');
    }, 320_000);
  }
});

describe('linux-x64 single file: Node flags ignored, native library cache', () => {
  const reason = missing('linux-x64');
  const bin = binary('linux-x64');

  it.skipIf(reason !== undefined)(title('ignores NODE_OPTIONS and Node flags on its command line; prints no warning', reason), () => {
    const injected = runBinary(bin, ['version', '--json'], cleanEnv({ NODE_OPTIONS: '--require /nonexistent/inject.js --no-warnings=0 --trace-warnings' }));
    expect(injected.stderr).toBe('');
    expect(injected.code).toBe(0);
    const report = JSON.parse(injected.stdout) as { version: string; node: string; build: string; platform: string; arch: string };
    expect(report).toMatchObject({ version: VERSION, build: 'single-file', platform: 'linux', arch: 'x64' });
    expect(report.node).toMatch(/^22\./);
    // A Node flag on the command line is an argument of airsign (refused as unknown), not taken by Node.
    const flag = runBinary(bin, ['version', '--expose-gc'], cleanEnv());
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^airsign: unknown arguments: expose-gc/);
  });

  it.skipIf(reason !== undefined)(title('writes koffi once, named by its SHA-256, and rewrites a changed file before loading', reason), () => {
    const cache = testTempDir('airsign-native-cache-');
    const env = cleanEnv({ XDG_CACHE_HOME: cache });
    const first = runBinary(bin, ['version', '--json'], env);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({ pkcs11: { loaded: true } });
    const dir = join(cache, 'airsign', 'native');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const [, hash] = /^koffi-[\d.]+-([0-9a-f]{64})\.node$/.exec(files[0]!) ?? [];
    expect(hash).toBeDefined();
    const file = join(dir, files[0]!);
    expect(sha256File(file)).toBe(hash);
    appendFileSync(file, 'changed');
    const second = runBinary(bin, ['version', '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ pkcs11: { loaded: true } });
    expect(sha256File(file)).toBe(hash);
    expect(readdirSync(dir)).toEqual(files); // no temporary file left behind
  });

  const noexec = missing('linux-x64', [[IS_ROOT, 'mounting a noexec tmpfs needs root']]);
  it.skipIf(noexec !== undefined)(title('a noexec cache directory: the next directory is used; none usable: a clear error', noexec), () => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'airsign-noexec-'));
    const home = mkdtempSync(join(tmpdir(), 'airsign-home-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=16m', 'tmpfs', mountPoint]).status === 0;
    try {
      if (!mounted) throw new Error('mount -t tmpfs -o noexec failed');
      const fallback = runBinary(bin, ['version', '--json'], cleanEnv({ AIRSIGN_CACHE_DIR: join(mountPoint, 'first'), XDG_CACHE_HOME: join(home, 'cache') }));
      expect(JSON.parse(fallback.stdout)).toMatchObject({ pkcs11: { loaded: true } });
      expect(readdirSync(join(home, 'cache', 'airsign', 'native'))).toHaveLength(1);

      const none = runBinary(bin, ['version', '--json'], cleanEnv({ AIRSIGN_CACHE_DIR: join(mountPoint, 'a'), HOME: join(mountPoint, 'home'), TMPDIR: join(mountPoint, 'tmp') }));
      expect(none.code).toBe(0);
      const report = JSON.parse(none.stdout) as { pkcs11: { loaded: boolean; error: string } };
      expect(report.pkcs11.loaded).toBe(false);
      expect(report.pkcs11.error).toMatch(/^PKCS#11 support could not be loaded: the koffi-[\d.]+ native library could not be written and loaded in any directory/);
      expect(report.pkcs11.error).toContain(join(mountPoint, 'a'));
      expect(report.pkcs11.error).toContain(join(mountPoint, 'tmp'));
      expect(report.pkcs11.error).toContain('AIRSIGN_CACHE_DIR');
      expect(report.pkcs11.error).not.toMatch(/PKCS11_JS_MISSING|pkcs11js/);
    } finally {
      if (mounted) spawnSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('linux-arm64 single file under qemu-aarch64-static', () => {
  const reason = missing('linux-arm64', [
    [hasCommand('qemu-aarch64-static'), 'no qemu-aarch64-static (Debian qemu-user-static)'],
    [existsSync(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')), `no arm64 libraries in ${ARM64_SYSROOT} (Debian libstdc++6-arm64-cross)`],
  ]);
  it.skipIf(reason !== undefined)(title('version, inspect, strip, sign in 5 formats, repack, verify', reason), () => {
    const run = runFlow({ bin: binary('linux-arm64'), prefix: `qemu-aarch64-static -L ${ARM64_SYSROOT}`, env: { XDG_CACHE_HOME: mkdirTemp() }, timeoutMs: 900_000 });
    expectFlowOk(run, 'platform linux-arm64');
  }, 920_000);
});

describe('win-x64 single file under wine', () => {
  const reason = missing('win-x64', [
    [hasCommand('wine'), 'no wine (Debian wine, wine64)'],
    [existsSync(join(WINEPREFIX, 'system.reg')), `no wine prefix at ${WINEPREFIX} (npm run release makes it)`],
  ]);
  it.skipIf(reason !== undefined)(title('version, inspect, strip, sign in 5 formats, repack, verify', reason), () => {
    const run = runFlow({ bin: binary('win-x64'), prefix: 'wine', env: { WINEPREFIX, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' }, timeoutMs: 900_000 });
    expectFlowOk(run, 'platform win32-x64');
  }, 920_000);
});

function mkdirTemp(): string {
  const dir = join(tmpdir(), `airsign-release-cache-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
