/**
 * writeFileAtomic sweeps temp files a killed run left beside its target (the strip record's folder
 * kept them forever before: the kill loop found one), and keeps live and foreign ones.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/fs/atomic-write.js';
import { HOST_TAG, temporarySiblingPath } from '../../../src/fs/temp-files.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-atomic-write-');

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('writeFileAtomic', () => {
  it('removes stale temp files of ended processes in the target folder, keeps live and foreign ones', async () => {
    const dir = join(work, 'sweep');
    mkdirSync(dir);
    const stale = `.airsign-strip.json.airsign-${HOST_TAG}-${deadPid()}-0badc0de.tmp`;
    const live = basename(temporarySiblingPath(join(dir, 'other.tar')));
    const foreign = `.x.airsign-${HOST_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-${deadPid()}-00000000.tmp`;
    for (const name of [stale, live, foreign]) writeFileSync(join(dir, name), 'half');
    await writeFileAtomic(join(dir, 'airsign-strip.json'), '{}');
    expect(readdirSync(dir).sort()).toEqual(['airsign-strip.json', foreign, live].sort());
    expect(readFileSync(join(dir, 'airsign-strip.json'), 'utf8')).toBe('{}');
  });

  it('leaves the folder alone with sweepStale: false (a caller that swept it once for many files)', async () => {
    const dir = join(work, 'no-sweep');
    mkdirSync(dir);
    const stale = `.a.airsign-${HOST_TAG}-${deadPid()}-0badc0de.tmp`;
    writeFileSync(join(dir, stale), 'half');
    await writeFileAtomic(join(dir, 'b'), 'b', { sweepStale: false });
    expect(readdirSync(dir).sort()).toEqual([stale, 'b'].sort());
  });
});
