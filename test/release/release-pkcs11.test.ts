/**
 * The single-file executables' PKCS#11 path where users run them, with the SoftHSM of that host:
 * linux-x64 inside the Node-less Debian roots (bookworm and bullseye; scripts/release-roots.sh
 * installs softhsm2 inside each root with debootstrap --include) and linux-arm64 under
 * qemu-aarch64-static with Debian's arm64 SoftHSM (scripts/release-arm64-softhsm.sh). Each runs
 * test/release/flow-pkcs11.sh: token initialised there, the key pair put on it, then key export, cert
 * create, strip, sign in all five formats, repack and verify, every key use through the pkcs11: URI.
 * (The same flow with a file key is in release.test.ts.)
 *
 * Each part is skipped, with the reason in its name, when the executable, the root or the SoftHSM
 * is missing; scripts/test-ci.sh makes all of them first, so in CI nothing here is skipped.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FLOW = join(ROOT, 'test', 'release', 'flow-pkcs11.sh');
const SAMPLE = join(ROOT, 'samples', 'single.tar');
const ROOTS = process.env['AIRSIGN_TEST_ROOTS'] ?? '/var/cache/airsign-test';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const ARM64_SOFTHSM = join(ROOTS, 'arm64-softhsm');
const IS_ROOT = process.getuid?.() === 0;
/** Debian's SoftHSM module path (bookworm and bullseye). */
const MODULE = '/usr/lib/softhsm/libsofthsm2.so';

const binary = (target: string): string => join(ROOT, 'release', `airsign-${VERSION}-${target}`);
const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

function missing(target: string, needs: Array<[boolean, string]>): string | undefined {
  if (!existsSync(binary(target))) return `release not built (run npm run release): no ${binary(target)}`;
  return needs.find(([ok]) => !ok)?.[1];
}
const title = (what: string, reason: string | undefined): string => (reason === undefined ? what : `${what} — skipped: ${reason}`);

/**
 * Runs flow-pkcs11.sh on a copy of samples/single.tar with a plain environment, output to a file.
 * `chrootRoot`: copies everything into that root and runs there.
 */
function runFlow(options: { bin: string; module: string; util: string; chrootRoot?: string; prefix?: string; env?: Record<string, string>; timeoutMs: number }): { code: number; output: string } {
  const base = options.chrootRoot === undefined ? tmpdir() : join(options.chrootRoot, 'tmp');
  const work = mkdtempSync(join(base, 'airsign-release-pkcs11-'));
  try {
    copyFileSync(SAMPLE, join(work, 'app.tar'));
    copyFileSync(FLOW, join(work, 'flow.sh'));
    const bin = join(work, 'airsign');
    copyFileSync(options.bin, bin);
    chmodSync(bin, 0o755);
    const inside = (path: string): string => (options.chrootRoot === undefined ? path : path.slice(options.chrootRoot.length));
    const log = join(work, 'flow.log');
    const args = [inside(bin), inside(work), options.module, options.util].map((a) => `'${a}'`).join(' ');
    const script = `exec /bin/sh ${inside(join(work, 'flow.sh'))} ${args} > ${inside(log)} 2>&1 < /dev/null`;
    const command = options.chrootRoot === undefined ? ['sh', '-c', script] : ['chroot', options.chrootRoot, '/bin/sh', '-c', script];
    const env = {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      ...(options.prefix === undefined ? {} : { AIRSIGN_RUN: options.prefix }),
      ...options.env,
    };
    const result = spawnSync(command[0]!, command.slice(1), { env, stdio: 'ignore', timeout: options.timeoutMs });
    return { code: result.status ?? -1, output: existsSync(log) ? readFileSync(log, 'utf8') : String(result.error ?? '') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function expectFlowOk(run: { code: number; output: string }, platformLine: string): void {
  expect(run.output, run.output).toContain('flow: all ok');
  expect(run.code).toBe(0);
  expect(run.output).toContain(`airsign ${VERSION}`);
  expect(run.output).toContain(platformLine);
  expect(run.output).toMatch(/^pkcs11 available \(koffi \d+\.\d+\.\d+\)$/m);
  expect(run.output).toMatch(/^softhsm 2\.\d+\.\d+$/m);
  for (const step of ['token init', 'key export openpgp (pkcs11)', 'cert create (pkcs11)', 'sign (5 formats, pkcs11)', 'verify (4 checks, 5 signatures)']) {
    expect(run.output).toContain(`flow: ${step} ok`);
  }
  expect(run.output).not.toMatch(/ExperimentalWarning|DeprecationWarning|\(node:\d+\)|\n\s+at /);
}

describe('linux-x64 single file with SoftHSM inside Node-less Debian roots (chroot)', () => {
  for (const [suite, glibc] of [
    ['bookworm', '2.36'],
    ['bullseye', '2.31'],
  ] as const) {
    const root = join(ROOTS, `${suite}-amd64`);
    const reason = missing('linux-x64', [
      [IS_ROOT, 'chroot needs root'],
      [existsSync(join(root, 'bin', 'sh')), `no ${suite} root at ${root} (run scripts/release-roots.sh)`],
      [existsSync(join(root, MODULE.slice(1))), `no SoftHSM in the ${suite} root (run scripts/release-roots.sh: it remakes roots made before softhsm2 was in its list)`],
    ]);
    it.skipIf(reason !== undefined)(title(`${suite} (glibc ${glibc}): token init, key export, cert create, strip, sign in 5 formats, repack, verify with a pkcs11: key`, reason), () => {
      expect(spawnSync('chroot', [root, '/bin/sh', '-c', 'command -v node nodejs'], { env: { PATH: '/usr/bin:/bin' } }).status).not.toBe(0);
      const run = runFlow({ bin: binary('linux-x64'), module: MODULE, util: '/usr/bin/softhsm2-util', chrootRoot: root, timeoutMs: 300_000 });
      expectFlowOk(run, 'platform linux-x64');
    }, 320_000);
  }
});

describe('linux-arm64 single file with Debian arm64 SoftHSM under qemu-aarch64-static', () => {
  const reason = missing('linux-arm64', [
    [hasCommand('qemu-aarch64-static'), 'no qemu-aarch64-static (Debian qemu-user-static)'],
    [existsSync(join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')), `no arm64 libraries in ${ARM64_SYSROOT} (Debian libstdc++6-arm64-cross)`],
    [existsSync(join(ARM64_SOFTHSM, MODULE.slice(1))), `no arm64 SoftHSM at ${ARM64_SOFTHSM} (run scripts/release-arm64-softhsm.sh)`],
  ]);
  it.skipIf(reason !== undefined)(title('token init, key export, cert create, strip, sign in 5 formats, repack, verify with a pkcs11: key', reason), () => {
    const cache = mkdtempSync(join(tmpdir(), 'airsign-release-cache-'));
    try {
      // The arm64 libssl3 and libsqlite3 are not in the cross sysroot: the guest's loader finds them
      // through LD_LIBRARY_PATH (qemu -E sets it for the guest only, not for the host's shell).
      const prefix = `qemu-aarch64-static -L ${ARM64_SYSROOT} -E LD_LIBRARY_PATH=${join(ARM64_SOFTHSM, 'usr', 'lib', 'aarch64-linux-gnu')}`;
      const run = runFlow({
        bin: binary('linux-arm64'),
        module: join(ARM64_SOFTHSM, MODULE.slice(1)),
        util: join(ARM64_SOFTHSM, 'usr', 'bin', 'softhsm2-util'),
        prefix,
        env: { XDG_CACHE_HOME: cache },
        timeoutMs: 900_000,
      });
      expectFlowOk(run, 'platform linux-arm64');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 920_000);
});
