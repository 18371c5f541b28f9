/**
 * Bad input for `--format gpg`, and the all-or-none rule for outputs outside the layout: a
 * --lookaside that is a file, read-only or on a full disk (small tmpfs mounts; needs root), an
 * identity that is not a reference, a missing --identity/--lookaside → one-line error, exit 2,
 * the tar untouched, no lookaside file or directory left. A failure writing the tar after the
 * lookaside files were written removes them. A key whose signatures do not verify writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { openKey } from '../../../src/keys/open-key.js';
import { signLayout } from '../../../src/operations/sign.js';
import { runCli } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const IDENTITY = 'registry.example.com/app:1.4';
const isRoot = process.getuid?.() === 0;
const work = tempDir('airsign-gpg-bad-');
let chain: TestChain;
const mounts: string[] = [];

beforeAll(() => {
  chain = makeTestChain('ec-p256');
});
afterAll(() => {
  for (const m of mounts.reverse()) spawnUmount(m);
});

function spawnUmount(path: string): void {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** A small tmpfs at `path`; `full` fills it to the last byte. */
function mountTmpfs(path: string, options: { readOnly?: boolean; full?: boolean }): void {
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=256k${options.readOnly ? ',ro' : ''}`, 'tmpfs', path]);
  mounts.push(path);
  if (options.full) {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(path, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd stops with ENOSPC: that is the point
    }
  }
}

/** Everything under a directory (relative paths), for "nothing left behind". */
function tree(dir: string): string[] {
  return existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).sort() : [];
}

function setup(name: string): { dir: string; input: string; before: string } {
  const dir = join(work, name);
  mkdirSync(dir);
  const input = join(dir, 'single.tar');
  copyFileSync(join(SAMPLES, 'single.tar'), input);
  return { dir, input, before: sha256File(input) };
}

function expectOneLineError(r: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const sign = (input: string, ...extra: string[]) =>
  runCli(['sign', input, '--key', chain.keyPath, '--cert', chain.chainPath, '--format', 'notation', '--format', 'gpg', ...extra]);

describe('--format gpg bad input: exit 2, one line, nothing written', () => {
  it('a --lookaside that is a file', () => {
    const { dir, input, before } = setup('is-file');
    const file = join(dir, 'lookaside');
    writeFileSync(file, 'not a directory');
    expectOneLineError(sign(input, '--identity', IDENTITY, '--lookaside', file), 2, /--lookaside .*lookaside is a file, not a directory/);
    expect(sha256File(input)).toBe(before);
    expect(tree(dir)).toEqual(['lookaside', 'single.tar']);
  });

  it('an identity that is not a valid reference', () => {
    const { dir, input, before } = setup('bad-identity');
    const lookaside = join(dir, 'la');
    for (const identity of ['Registry.example.com/App:1', 'reg.io/app:', 'UPPERCASEISINVALID']) {
      expectOneLineError(sign(input, '--identity', identity, '--lookaside', lookaside), 2, /is not a valid image reference/);
    }
    expect(sha256File(input)).toBe(before);
    expect(tree(dir)).toEqual(['single.tar']);
  });

  it('no --lookaside: the error names the option (with no --identity either, --identity first)', () => {
    const { dir, input, before } = setup('missing');
    expectOneLineError(sign(input, '--identity', IDENTITY), 2, /--lookaside/);
    expectOneLineError(sign(input), 2, /give --identity/);
    expect(sha256File(input)).toBe(before);
    expect(tree(dir)).toEqual(['single.tar']);
  });

  it.skipIf(!isRoot)('a read-only --lookaside', () => {
    const { dir, input, before } = setup('read-only');
    const lookaside = join(dir, 'ro');
    mountTmpfs(lookaside, { readOnly: true });
    expectOneLineError(sign(input, '--identity', IDENTITY, '--lookaside', join(lookaside, 'sigs')), 2, /is not writable.*read-only file system/);
    expect(sha256File(input)).toBe(before);
    expect(tree(lookaside)).toEqual([]);
  });

  it.skipIf(!isRoot)('a --lookaside on a full disk: the tar is untouched, no lookaside file or directory is left', () => {
    const { dir, input, before } = setup('full');
    const lookaside = join(dir, 'full');
    mountTmpfs(lookaside, { full: true });
    expectOneLineError(sign(input, '--identity', IDENTITY, '--lookaside', join(lookaside, 'sigs')), 2, /cannot write .*(ENOSPC|no space left on device)/);
    expect(sha256File(input)).toBe(before);
    expect(tree(lookaside)).toEqual(['fill']);
    expect(tree(dir)).toEqual(['full', 'full/fill', 'single.tar']);
  });
});

describe('all or none across the layout and the lookaside tree', () => {
  it.skipIf(!isRoot)('the tar write fails (full disk) after the lookaside files were written: they are removed', () => {
    const { dir, input, before } = setup('tar-fails');
    const out = join(dir, 'out');
    mountTmpfs(out, { full: true });
    const lookaside = join(dir, 'la');
    mkdirSync(lookaside);
    writeFileSync(join(lookaside, 'keep'), 'existing content stays');
    const r = sign(input, '--identity', IDENTITY, '--lookaside', lookaside, '--output', join(out, 'signed.tar'));
    expectOneLineError(r, 2, /ENOSPC|no space left on device/);
    expect(sha256File(input)).toBe(before);
    expect(tree(lookaside)).toEqual(['keep']);
    expect(tree(out)).toEqual(['fill']);
  });

  it('the tar write fails (no such directory) after the lookaside files were written: they are removed', () => {
    const { dir, input, before } = setup('tar-enoent');
    const lookaside = join(dir, 'la');
    const r = sign(input, '--identity', IDENTITY, '--lookaside', lookaside, '--output', join(dir, 'missing', 'signed.tar'));
    expect(r.code, r.stderr).toBe(2);
    expect(sha256File(input)).toBe(before);
    expect(tree(dir)).toEqual(['single.tar']);
  });

  it('GPG alone leaves the tar as it is (not rewritten); with Notation the tar gets only the Notation signature', () => {
    const { dir, input, before } = setup('only-gpg');
    const lookaside = join(dir, 'la');
    const alone = runCli(['sign', input, '--key', chain.keyPath, '--format', 'gpg', '--identity', IDENTITY, '--lookaside', lookaside]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(sha256File(input)).toBe(before);
    const both = sign(input, '--identity', IDENTITY, '--lookaside', lookaside);
    expect(both.code, both.stderr).toBe(0);
    expect(sha256File(input)).not.toBe(before);
    expect(tree(lookaside).filter((p) => p.includes('signature-'))).toHaveLength(2);
  });

  it('a key whose signatures do not verify: SIGNATURE_SELF_CHECK_FAILED (exit 3 kind), nothing written', async () => {
    const { dir, input, before } = setup('self-check');
    const lookaside = join(dir, 'la');
    const real = await openKey(chain.keyPath, { env: {} });
    // A backend that signs with the key but returns a changed signature (a faulty HSM).
    const broken: KeyBackend = {
      description: real.description,
      keyType: real.keyType,
      publicKeySpki: () => real.publicKeySpki(),
      certificateChain: () => real.certificateChain(),
      sign: (m, s) => real.sign(m, s),
      async signDigest(digest, scheme) {
        const signature = await real.signDigest(digest, scheme);
        signature[signature.length - 1]! ^= 0x01;
        return signature;
      },
      close: () => real.close(),
    };
    await expect(signLayout(input, {
      key: broken, formats: ['gpg'], registry: defaultFormatRegistry({ gpg: { lookaside } }), identity: IDENTITY,
    })).rejects.toMatchObject({ code: 'SIGNATURE_SELF_CHECK_FAILED', kind: 'key' });
    await real.close();
    expect(sha256File(input)).toBe(before);
    expect(tree(dir)).toEqual(['single.tar']);
  });
});
