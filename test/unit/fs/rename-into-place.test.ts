/**
 * renameIntoPlace with Windows rename rules, simulated: a rename over a read-only file is refused
 * (blobs are written 0o444), and a scanner holding the new file makes rename fail a few times.
 * With the platform forced to win32 the rename clears the attribute and retries; elsewhere it is
 * one plain rename.
 */
import { describe, expect, it } from 'vitest';
import type { PlatformFs } from '../../../src/fs/platform-fs.js';
import { renameIntoPlace, WIN32_RENAME_DELAYS_MS } from '../../../src/fs/rename-into-place.js';

type RenameFs = Pick<PlatformFs, 'rename' | 'stat' | 'chmod'>;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/** An in-memory fs with Windows rename semantics: refuses over read-only or open targets, fails `transient` times with EBUSY. */
function windowsFs(files: Record<string, number>, transient = 0, open = new Set<string>()): RenameFs & { files: Map<string, number>; renames: number } {
  const map = new Map(Object.entries(files));
  let failures = transient;
  const fs = {
    files: map,
    renames: 0,
    rename(from: string, to: string): Promise<void> {
      fs.renames++;
      if (!map.has(from)) return Promise.reject(errno('ENOENT'));
      if (failures > 0) {
        failures--;
        return Promise.reject(errno('EBUSY'));
      }
      const existing = map.get(to);
      if (existing !== undefined && ((existing & 0o200) === 0 || open.has(to))) return Promise.reject(errno('EPERM'));
      map.set(to, map.get(from)!);
      map.delete(from);
      return Promise.resolve();
    },
    stat(path: string): Promise<{ mode: number }> {
      const mode = map.get(path);
      return mode === undefined ? Promise.reject(errno('ENOENT')) : Promise.resolve({ mode });
    },
    chmod(path: string, mode: number): Promise<void> {
      if (!map.has(path)) return Promise.reject(errno('ENOENT'));
      map.set(path, mode);
      return Promise.resolve();
    },
  };
  return fs;
}

const noSleep = { sleep: () => Promise.resolve() };

/** The PlatformFs renameIntoPlace gets: `fs`'s calls, the given platform and sleep. */
function on(platform: NodeJS.Platform, fs: RenameFs, sleep: PlatformFs['sleep'] = noSleep.sleep): PlatformFs {
  return { platform, rename: fs.rename, stat: fs.stat, chmod: fs.chmod, rm: () => Promise.reject(new Error('not used')), sleep };
}

describe('renameIntoPlace on win32 (simulated)', () => {
  it('replaces a read-only file: the attribute is cleared first; the new file keeps its own mode', async () => {
    const fs = windowsFs({ 'blob.tmp': 0o100444, blob: 0o100444 });
    await renameIntoPlace('blob.tmp', 'blob', on('win32', fs));
    expect([...fs.files]).toEqual([['blob', 0o100444]]);
  });

  it('retries transient EBUSY/EPERM with backoff and succeeds', async () => {
    const fs = windowsFs({ 'a.tmp': 0o100644 }, 5);
    const waits: number[] = [];
    await renameIntoPlace('a.tmp', 'a', on('win32', fs, (ms) => { waits.push(ms); return Promise.resolve(); }));
    expect(fs.files.get('a')).toBe(0o100644);
    expect(waits).toEqual(WIN32_RENAME_DELAYS_MS.slice(0, 5));
    expect(WIN32_RENAME_DELAYS_MS.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5000);
  });

  it('gives up after the backoff on a target that stays open, and puts the read-only attribute back', async () => {
    const fs = windowsFs({ 'b.tmp': 0o100444, b: 0o100444 }, 0, new Set(['b']));
    await expect(renameIntoPlace('b.tmp', 'b', on('win32', fs))).rejects.toMatchObject({ code: 'EPERM' });
    expect(fs.renames).toBe(WIN32_RENAME_DELAYS_MS.length + 1);
    expect(fs.files.get('b')! & 0o7777).toBe(0o444);
    expect(fs.files.has('b.tmp')).toBe(true);
  });

  it('does not retry other errors', async () => {
    const fs = windowsFs({});
    await expect(renameIntoPlace('missing', 'x', on('win32', fs))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.renames).toBe(1);
  });
});

describe('renameIntoPlace elsewhere', () => {
  it('is one rename: no attribute change, no retry', async () => {
    const fs = windowsFs({ 'c.tmp': 0o100644 }, 1);
    await expect(renameIntoPlace('c.tmp', 'c', on('linux', fs))).rejects.toMatchObject({ code: 'EBUSY' });
    expect(fs.renames).toBe(1);
  });
});
