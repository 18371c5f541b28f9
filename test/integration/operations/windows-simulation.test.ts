/**
 * Issue 11's check that the same commands work on Windows, by simulation: strip, sign and repack
 * (the library operations, with their atomic writes, records and removals) run with the platform
 * set to win32 against a file system with Windows rules (test/helpers/windows-fs.ts: no rename
 * onto a read-only or open file, renames and removals that fail a few times first). Every command
 * must succeed, the files must be byte-identical to a plain Linux run, read-only files must stay
 * read-only and nothing may be left behind. The same runs with the platform left at linux on that
 * file system fail, so these tests can fail.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import type { PlatformFs } from '../../../src/fs/platform-fs.js';
import { WIN32_RENAME_DELAYS_MS } from '../../../src/fs/rename-into-place.js';
import type { KeyBackend, SignatureScheme } from '../../../src/key-backend.js';
import { openKey } from '../../../src/keys/open-key.js';
import { repackLayout } from '../../../src/operations/repack.js';
import { signLayout, type SignOptions } from '../../../src/operations/sign.js';
import { stripLayout } from '../../../src/operations/strip.js';
import { makeTestChain } from '../../helpers/sign-fixtures.js';
import { windowsFs } from '../../helpers/windows-fs.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const registry = defaultFormatRegistry();
const work = tempDir('airsign-win-sim-');
let key: KeyBackend;
let otherKey: KeyBackend;
// One signing time for every run (whole seconds, inside the test certificate's validity).
const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000);

/** Same message → same signature, so the Linux and the Windows run sign identical bytes. */
function memoising(inner: KeyBackend): KeyBackend {
  const cache = new Map<string, Uint8Array>();
  return {
    description: 'test key',
    keyType: inner.keyType,
    publicKeySpki: () => inner.publicKeySpki(),
    certificateChain: () => inner.certificateChain(),
    async sign(message: Uint8Array, scheme: SignatureScheme) {
      const k = `${JSON.stringify(scheme)}:${Buffer.from(message).toString('hex')}`;
      if (!cache.has(k)) cache.set(k, await inner.sign(message, scheme));
      return cache.get(k)!;
    },
    async signDigest(digest: Uint8Array, scheme: Exclude<SignatureScheme, { algorithm: 'ed25519' }>) {
      const k = `digest:${JSON.stringify(scheme)}:${Buffer.from(digest).toString('hex')}`;
      if (!cache.has(k)) cache.set(k, await inner.signDigest(digest, scheme));
      return cache.get(k)!;
    },
    close: async () => {},
  };
}

beforeAll(async () => {
  // The file key backend (whole-message and digest signing: GPG signs a digest).
  const chain = makeTestChain('ec-p256', { dir: mkdtempSync(join(work, 'chain-')) });
  key = memoising(await openKey(chain.keyPath, { certificatePath: chain.chainPath }));
  const other = makeTestChain('ec-p256', { dir: mkdtempSync(join(work, 'chain-')) });
  otherKey = memoising(await openKey(other.keyPath, { certificatePath: other.chainPath }));
});

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => statSync(join(dir, name)).isFile()).sort();
}

/** Every file under `dir`: relative path → sha256 and permission bits. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(files(dir).map((name) => [name, `${sha256File(join(dir, name))} ${(statSync(join(dir, name)).mode & 0o777).toString(8)}`]));
}

/** Temp files, lock files and write probes airsign would have left. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /(^|\/)\.[^/]*\.airsign[-.]|airsign-check-|airsign-spool-/.test(name));
}

function tarWith(dir: string, name: string, mode: number): string {
  const path = join(dir, name);
  copyFileSync(SAMPLE, path);
  chmodSync(path, mode);
  return path;
}

function signOptions(o: Partial<SignOptions>): SignOptions {
  return { key, registry, formats: ['notation'], signingTime, reference: '1.4', ...o };
}

/**
 * Everything a signing host does, in one folder: strip a read-only tar in place, strip a second
 * copy into the same directory (one read-only layer file there damaged: it must be replaced), sign
 * the stripped tar (Notation JWS and COSE, a record replacing a read-only one; then GPG twice, so
 * the lookaside gets signature-1 and signature-2 through its temp file and hard link), repack it in
 * place; and sign a layout directory with cosign by two keys (the second replaces the `.sig`
 * manifest, so its superseded read-only blobs are removed).
 */
async function hostRun(root: string, platformFs: PlatformFs | undefined): Promise<void> {
  mkdirSync(root);
  const o = platformFs === undefined ? {} : { platformFs };
  const tar = tarWith(root, 'image.tar', 0o444);
  const second = tarWith(root, 'second.tar', 0o444);
  const layers = join(root, 'layers');
  await stripLayout(tar, { directory: layers, reference: '1.4', ...o });
  // A layer file damaged meanwhile (still read-only) is replaced by the rerun; the others are kept.
  const damaged = join(layers, 'sha256', readdirSync(join(layers, 'sha256')).sort()[0]!);
  chmodSync(damaged, 0o644);
  writeFileSync(damaged, 'damaged');
  chmodSync(damaged, 0o444);
  await stripLayout(second, { directory: layers, reference: '1.4', ...o });
  const record = join(root, 'record.json');
  writeFileSync(record, '{}\n', { mode: 0o444 });
  await signLayout(tar, signOptions({ formats: ['notation', 'notation-cose'], recordPath: record, ...o }));
  const gpg = { registry: defaultFormatRegistry({ gpg: { lookaside: join(root, 'lookaside') } }), formats: ['gpg'], identity: 'reg.example/app:1' };
  for (const k of [key, otherKey]) await signLayout(tar, signOptions({ key: k, ...gpg, ...o }));
  await repackLayout(tar, { directory: layers, ...o });
  const dir = join(root, 'dir');
  mkdirSync(dir);
  execFileSync('tar', ['-xf', SAMPLE, '-C', dir]);
  for (const k of [key, otherKey]) await signLayout(dir, signOptions({ key: k, formats: ['cosign'], identity: 'reg.example/app:1', ...o }));
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return isAirsignError(error) ? error.code : String((error as NodeJS.ErrnoException).code);
  }
  return 'NO_ERROR';
}

describe('strip, sign and repack on Windows (simulated)', () => {
  it('succeed with transient rename and removal failures, read-only inputs and blobs; byte-identical to Linux; nothing left', async () => {
    const linux = join(work, 'linux');
    await hostRun(linux, undefined);
    const fs = windowsFs({ transientRenameFailures: 3, transientRemoveFailures: 2 });
    const win = join(work, 'win32');
    await hostRun(win, fs);

    expect(snapshot(win)).toEqual(snapshot(linux));
    expect(leftovers(win)).toEqual([]);
    // Read-only stays read-only: the tars rewritten in place, every layer file and layout blob.
    for (const name of ['image.tar', 'second.tar']) expect(statSync(join(win, name)).mode & 0o777).toBe(0o444);
    for (const name of files(join(win, 'layers')).filter((n) => n.startsWith('sha256/'))) expect(statSync(join(win, 'layers', name)).mode & 0o777).toBe(0o444);
    for (const name of files(join(win, 'dir', 'blobs'))) expect(statSync(join(win, 'dir', 'blobs', name)).mode & 0o777).toBe(0o444);
    // The Windows rules were met, not bypassed: every rename first failed 3 times and was retried;
    // none hit a read-only or open file; removals were retried past the scanner.
    expect(fs.log.transient).toBe(3 * (fs.log.renames - fs.log.transient));
    expect(fs.log.transient).toBeGreaterThanOrEqual(3 * 8);
    expect(fs.log.readOnlyRefused + fs.log.openRefused).toBe(0);
    expect(fs.log.sleptMs).toBeGreaterThan(0);
    expect(fs.log.removed).toBeGreaterThan(0);
  });

  describe('without the win32 handling (platform linux on the Windows file system) the same steps fail', () => {
    it('strip in place of a read-only tar: the rename onto it is refused; input unchanged, nothing left', async () => {
      const root = mkdtempSync(join(work, 'ro-'));
      const tar = tarWith(root, 'image.tar', 0o444);
      const fs = windowsFs({ platform: 'linux' });
      expect(await codeOf(stripLayout(tar, { directory: join(root, 'layers'), reference: '1.4', platformFs: fs }))).toBe('OUTPUT_WRITE_FAILED');
      expect(fs.log.readOnlyRefused).toBe(1);
      expect(sha256File(tar)).toBe(sha256File(SAMPLE));
      expect(readdirSync(root)).toEqual(['image.tar']);
      // With win32 rules the same strip goes through.
      expect(await codeOf(stripLayout(tar, { directory: join(root, 'layers'), reference: '1.4', platformFs: windowsFs() }))).toBe('NO_ERROR');
    });

    it('sign in place of a writable tar: the input is still open at the rename (win32 closes it first)', async () => {
      const root = mkdtempSync(join(work, 'open-'));
      const tar = tarWith(root, 'image.tar', 0o644);
      const fs = windowsFs({ platform: 'linux' });
      expect(await codeOf(signLayout(tar, signOptions({ platformFs: fs })))).toBe('OUTPUT_WRITE_FAILED');
      expect(fs.log.openRefused).toBe(1);
      expect(sha256File(tar)).toBe(sha256File(SAMPLE));
      expect(leftovers(root)).toEqual([]);
      expect(await codeOf(signLayout(tar, signOptions({ platformFs: windowsFs() })))).toBe('NO_ERROR');
    });

    it('repack to a new file while a scanner holds each new name once: no retry without win32', async () => {
      const root = mkdtempSync(join(work, 'scan-'));
      const tar = tarWith(root, 'image.tar', 0o644);
      const layers = join(root, 'layers');
      await stripLayout(tar, { directory: layers, reference: '1.4' });
      const fs = windowsFs({ platform: 'linux', transientRenameFailures: 1 });
      expect(await codeOf(repackLayout(tar, { directory: layers, output: join(root, 'out.tar'), platformFs: fs }))).toBe('OUTPUT_WRITE_FAILED');
      expect(fs.log.transient).toBe(1);
      expect(readdirSync(root).sort()).toEqual(['image.tar', 'layers']);
      const win = windowsFs({ transientRenameFailures: 1 });
      expect(await codeOf(repackLayout(tar, { directory: layers, output: join(root, 'out.tar'), platformFs: win }))).toBe('NO_ERROR');
      expect(win.log.transient).toBe(1);
      expect(sha256File(join(root, 'out.tar'))).toBe(sha256File(SAMPLE));
    });

    it('the GPG lookaside: the temp file behind signature-N is removed only with rm retries (win32)', async () => {
      const root = mkdtempSync(join(work, 'lookaside-'));
      const tar = tarWith(root, 'image.tar', 0o644);
      const lookaside = join(root, 'lookaside');
      const gpg = { registry: defaultFormatRegistry({ gpg: { lookaside } }), formats: ['gpg'], identity: 'reg.example/app:1' };
      const win = windowsFs({ transientRemoveFailures: 3 });
      expect(await codeOf(signLayout(tar, signOptions({ ...gpg, platformFs: win })))).toBe('NO_ERROR');
      expect(leftovers(root)).toEqual([]);
      const linux = windowsFs({ platform: 'linux', transientRemoveFailures: 3 });
      expect(await codeOf(signLayout(tar, signOptions({ ...gpg, key: otherKey, platformFs: linux })))).toBe('NO_ERROR');
      expect(leftovers(root).filter((p) => /\.signature\.airsign-[0-9a-f]{8}-\d+-[0-9a-f]+\.tmp$/.test(p))).toHaveLength(1);
      expect(files(lookaside).map((p) => p.split('/').pop()!).filter((n) => n.startsWith('signature-'))).toEqual(['signature-1', 'signature-2']);
    });

    it('a failed write removes its temp file and lock only with rm retries (win32); without them held ones stay', async () => {
      const root = mkdtempSync(join(work, 'held-'));
      const tar = tarWith(root, 'image.tar', 0o644);
      const out = join(root, 'out.tar');
      writeFileSync(out, 'in use');
      // Another program keeps the output open for the whole run: the rename cannot succeed.
      const holder = await open(out, 'r');
      try {
        const win = windowsFs({ transientRemoveFailures: 3 });
        expect(await codeOf(signLayout(tar, signOptions({ output: out, platformFs: win })))).toBe('OUTPUT_WRITE_FAILED');
        expect(win.log.openRefused).toBe(WIN32_RENAME_DELAYS_MS.length + 1);
        expect(leftovers(root)).toEqual([]);

        const linux = windowsFs({ platform: 'linux', transientRemoveFailures: 3 });
        expect(await codeOf(signLayout(tar, signOptions({ output: out, platformFs: linux })))).toBe('OUTPUT_WRITE_FAILED');
        // The temp tar and the lock file stay behind.
        expect(linux.log.removeRefused).toBe(2);
        expect(leftovers(root).sort()).toEqual([expect.stringMatching(/^\.out\.tar\.airsign-[0-9a-f]{8}-\d+-[0-9a-f]+\.tmp$/), '.out.tar.airsign.lock']);
      } finally {
        await holder.close();
      }
      expect(readFileSync(out, 'utf8')).toBe('in use');
      expect(sha256File(tar)).toBe(sha256File(SAMPLE));
    });
  });
});
