import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackedTemporaries } from '../../../src/fs/temp-files.js';
import { repackLayout } from '../../../src/operations/repack.js';
import { stripLayout } from '../../../src/operations/strip.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLE = new URL('../../../samples/multi.tar', import.meta.url).pathname;
const work = tempDir('airsign-cancel-');

/** A progress reporter that aborts the operation once `after` bytes went by. */
function abortingProgress(controller: AbortController, after: number) {
  let seen = 0;
  return {
    start: () => {},
    advance: (n: number) => {
      seen += n;
      if (seen >= after && !controller.signal.aborted) controller.abort(new DOMException('stop', 'AbortError'));
    },
    done: () => {},
  };
}

describe('AbortSignal in the library options (the library installs no signal handler)', () => {
  it('an aborted strip rejects with the reason, keeps the input and leaves no file, record or directory', async () => {
    const dir = mkdtempSync(join(work, 'strip-'));
    const input = join(dir, 'multi.tar');
    copyFileSync(SAMPLE, input);
    const before = sha256File(input);
    for (const after of [1, 2000]) {
      const controller = new AbortController();
      await expect(stripLayout(input, { directory: join(dir, 'layers'), signal: controller.signal, progress: abortingProgress(controller, after) })).rejects.toMatchObject({ name: 'AbortError' });
      expect(sha256File(input)).toBe(before);
      expect(readdirSync(dir)).toEqual(['multi.tar']);
      expect(trackedTemporaries()).toEqual([]);
    }
  });

  it('an aborted repack --output leaves no output and keeps the strip directory whole', async () => {
    const dir = mkdtempSync(join(work, 'repack-'));
    const input = join(dir, 'multi.tar');
    copyFileSync(SAMPLE, input);
    await stripLayout(input, { directory: join(dir, 'layers'), output: join(dir, 'meta.tar') });
    const layers = readdirSync(join(dir, 'layers', 'sha256')).sort();
    const controller = new AbortController();
    await expect(repackLayout(join(dir, 'meta.tar'), { directory: join(dir, 'layers'), output: join(dir, 'full.tar'), signal: controller.signal, progress: abortingProgress(controller, 1) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(dir).sort()).toEqual(['layers', 'meta.tar', 'multi.tar']);
    expect(readdirSync(join(dir, 'layers', 'sha256')).sort()).toEqual(layers);
    await repackLayout(join(dir, 'meta.tar'), { directory: join(dir, 'layers'), output: join(dir, 'full.tar') });
    expect(sha256File(join(dir, 'full.tar'))).toBe(sha256File(input));
  });
});
