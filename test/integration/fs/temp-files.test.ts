import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HOST_TAG,
  processIsAlive,
  removeTrackedTemporariesSync,
  spoolFolderPrefix,
  sweepStaleTemps,
  temporaryFileOwner,
  temporarySiblingPath,
  trackedTemporaries,
  trackTemporary,
} from '../../../src/fs/temp-files.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-temp-files-');

/** The id of a process that has just ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('temp file names', () => {
  it('are hidden siblings carrying this host and this process', () => {
    const temp = temporarySiblingPath('/data/image.tar');
    expect(dirname(temp)).toBe('/data');
    expect(basename(temp)).toMatch(new RegExp(`^\\.image\\.tar\\.airsign-${HOST_TAG}-${process.pid}-[0-9a-f]{8}\\.tmp$`));
    expect(temporaryFileOwner(basename(temp))).toEqual({ host: HOST_TAG, pid: process.pid });
    expect(temporaryFileOwner('image.tar')).toBeUndefined();
    expect(temporaryFileOwner('.image.tar.airsign-1a2b3c.tmp')).toBeUndefined();
  });

  it('tells live processes from ended ones', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(deadPid())).toBe(false);
    expect(processIsAlive(0)).toBe(false);
  });
});

describe('sweepStaleTemps', () => {
  it('removes only temp files of ended processes of this host', async () => {
    const dir = join(work, 'sweep');
    mkdirSync(dir);
    const dead = deadPid();
    const names = {
      stale: `.a.tar.airsign-${HOST_TAG}-${dead}-0badc0de.tmp`,
      mine: basename(temporarySiblingPath(join(dir, 'b.tar'))),
      otherHost: `.c.tar.airsign-${HOST_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-${dead}-00000000.tmp`,
      user: 'd.tar',
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'x');
    // A spool folder of stdin / .tar.gz input left in the OS temp directory.
    mkdirSync(join(dir, `airsign-spool-${HOST_TAG}-${dead}-AbC123`));
    writeFileSync(join(dir, `airsign-spool-${HOST_TAG}-${dead}-AbC123`, 'input.tar'), 'x');
    mkdirSync(join(dir, `${spoolFolderPrefix()}LiVe12`));
    expect((await sweepStaleTemps(dir)).sort()).toEqual([names.stale, `airsign-spool-${HOST_TAG}-${dead}-AbC123`].sort());
    expect(readdirSync(dir).sort()).toEqual([names.mine, names.otherHost, names.user, `${spoolFolderPrefix()}LiVe12`].sort());
    expect(await sweepStaleTemps(join(work, 'no-such-dir'))).toEqual([]);
  });
});

describe('the registry the CLI empties on a signal', () => {
  it('removes registered files and folders synchronously, and forgets unregistered ones', () => {
    const file = join(work, 'tracked-file');
    const folder = join(work, 'tracked-folder');
    const kept = join(work, 'untracked-file');
    writeFileSync(file, 'x');
    mkdirSync(folder);
    writeFileSync(join(folder, 'inner'), 'x');
    writeFileSync(kept, 'x');
    trackTemporary(file);
    trackTemporary(folder);
    trackTemporary(kept)();
    expect(trackedTemporaries()).toEqual([file, folder]);
    removeTrackedTemporariesSync();
    expect([existsSync(file), existsSync(folder), existsSync(kept)]).toEqual([false, false, true]);
    expect(trackedTemporaries()).toEqual([]);
  });
});
