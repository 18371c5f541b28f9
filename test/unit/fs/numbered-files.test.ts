/**
 * Lookaside-style numbered files: the first free number, no two writers on one number, nothing
 * partial, and a take-back that leaves other runs' files visible to a reader that stops at the
 * first gap.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeNumberedFiles, writeNumberedFiles } from '../../../src/fs/numbered-files.js';
import { testTempDir } from '../../helpers/temp-dir.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('writeNumberedFiles', () => {
  it('creates the directories and takes the first free number, mode 0644', async () => {
    const base = testTempDir('airsign-numbered-');
    const dir = join(base, 'ns', 'app@sha256=aa');
    const first = await writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes('one') }]);
    expect(first.files).toEqual([join(dir, 'signature-1')]);
    expect(first.createdDirectories).toEqual([join(base, 'ns'), dir]);
    const second = await writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes('two') }]);
    expect(second.files).toEqual([join(dir, 'signature-2')]);
    expect(second.createdDirectories).toEqual([]);
    expect(readFileSync(join(dir, 'signature-2'), 'utf8')).toBe('two');
    expect(statSync(join(dir, 'signature-2')).mode & 0o777).toBe(0o644);
    // A gap (signature-3 missing, signature-4 present) is filled first: a reader stops at the gap.
    writeFileSync(join(dir, 'signature-4'), 'four');
    const third = await writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes('three') }]);
    expect(third.files).toEqual([join(dir, 'signature-3')]);
    expect(readdirSync(dir).sort()).toEqual(['signature-1', 'signature-2', 'signature-3', 'signature-4']);
  });

  it('concurrent writers never share a number and leave no temp files', async () => {
    const dir = testTempDir('airsign-numbered-');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes(`s${i}`) }])));
    const paths = results.map((r) => r.files[0]!);
    expect(new Set(paths).size).toBe(20);
    expect(readdirSync(dir).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `signature-${i + 1}`).sort());
    const contents = paths.map((p) => readFileSync(p, 'utf8')).sort();
    expect(contents).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`).sort());
  });

  it('on a file system without hard links (link → EPERM) it creates <stem>-N exclusively instead', async () => {
    const dir = testTempDir('airsign-numbered-');
    writeFileSync(join(dir, 'signature-1'), 'earlier');
    const noLinks = async () => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    };
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes(`s${i}`) }], { link: noLinks })));
    expect(results.map((r) => r.files[0]).sort()).toEqual([2, 3, 4, 5, 6].map((n) => join(dir, `signature-${n}`)));
    expect(readdirSync(dir).sort()).toEqual(['signature-1', 'signature-2', 'signature-3', 'signature-4', 'signature-5', 'signature-6']);
    expect(readFileSync(join(dir, 'signature-1'), 'utf8')).toBe('earlier');
    expect(results.map((r) => readFileSync(r.files[0]!, 'utf8')).sort()).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('a failure part-way removes what the call wrote (all or none)', async () => {
    const base = testTempDir('airsign-numbered-');
    writeFileSync(join(base, 'blocker'), 'a file where a directory must go');
    await expect(writeNumberedFiles([
      { directory: join(base, 'ok@sha256=aa'), stem: 'signature', bytes: bytes('one') },
      { directory: join(base, 'blocker', 'x@sha256=bb'), stem: 'signature', bytes: bytes('two') },
    ])).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(readdirSync(base)).toEqual(['blocker']);
  });
});

describe('removeNumberedFiles', () => {
  it('removes its files and the directories it created', async () => {
    const base = testTempDir('airsign-numbered-');
    const written = await writeNumberedFiles([{ directory: join(base, 'a', 'b@sha256=cc'), stem: 'signature', bytes: bytes('x') }]);
    await removeNumberedFiles(written);
    expect(readdirSync(base)).toEqual([]);
  });

  it('keeps directories that existed and moves a later file into the gap it leaves', async () => {
    const dir = testTempDir('airsign-numbered-');
    writeFileSync(join(dir, 'signature-1'), 'earlier');
    const ours = await writeNumberedFiles([{ directory: dir, stem: 'signature', bytes: bytes('ours') }]);
    expect(ours.files).toEqual([join(dir, 'signature-2')]);
    // Another run wrote signature-3 and signature-4 meanwhile.
    writeFileSync(join(dir, 'signature-3'), 'other-3');
    writeFileSync(join(dir, 'signature-4'), 'other-4');
    await removeNumberedFiles(ours);
    expect(readdirSync(dir).sort()).toEqual(['signature-1', 'signature-2', 'signature-3']);
    expect(readFileSync(join(dir, 'signature-2'), 'utf8')).toBe('other-4');
    expect(readFileSync(join(dir, 'signature-3'), 'utf8')).toBe('other-3');
    expect(existsSync(dir)).toBe(true);
    mkdirSync(join(dir, 'unrelated'));
  });
});
