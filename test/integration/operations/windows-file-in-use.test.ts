/**
 * Signing a tar in place while another program holds it open, with Windows rules simulated
 * (test/helpers/windows-fs.ts refuses a rename onto a file that any handle of this process has
 * open, as Windows does): after the retries the sign fails with one line that says the file is
 * open elsewhere and unchanged, the input keeps its bytes, and no temp file is left. The same run
 * under wine, with a real second process, is in test/release/win-x64.test.ts.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import { WIN32_RENAME_DELAYS_MS } from '../../../src/fs/rename-into-place.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { openKey } from '../../../src/keys/open-key.js';
import { signLayout } from '../../../src/operations/sign.js';
import { makeTestChain } from '../../helpers/sign-fixtures.js';
import { windowsFs } from '../../helpers/windows-fs.js';

const SAMPLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const WAITED_MS = WIN32_RENAME_DELAYS_MS.reduce((a, b) => a + b, 0);
let work: string;
let key: KeyBackend;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'airsign-win-in-use-'));
  const chain = makeTestChain('ec-p256', { dir: mkdtempSync(join(work, 'chain-')) });
  key = await openKey(chain.keyPath, { certificatePath: chain.chainPath });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string; details: object }> {
  try {
    await promise;
  } catch (error) {
    if (!isAirsignError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error('expected a failure');
}

describe('sign in place while another program holds the tar open (Windows rules)', () => {
  for (const inPlace of [true, false]) {
    it(inPlace ? 'in place: one line naming the open file, input unchanged, nothing left' : 'onto an existing --output that is open: the same, without the --output hint', async () => {
      const root = mkdtempSync(join(work, 'held-'));
      const tar = join(root, 'image.tar');
      copyFileSync(SAMPLE, tar);
      const target = inPlace ? tar : join(root, 'signed.tar');
      if (!inPlace) copyFileSync(SAMPLE, target);
      const holder = await open(target, 'r');
      const fs = windowsFs();
      try {
        const failure = await failureOf(
          signLayout(tar, { key, registry: defaultFormatRegistry(), formats: ['notation'], reference: '1.4', platformFs: fs, ...(inPlace ? {} : { output: target }) }),
        );
        expect(failure.code).toBe('OUTPUT_WRITE_FAILED');
        expect(failure.message).not.toContain('\n');
        expect(failure.message).toBe(
          `cannot replace ${target}: Windows refused for ${Math.round(WAITED_MS / 1000)} s (operation not permitted), most often because another program has it open; ${target} is unchanged: close that program and run again${inPlace ? ', or give options.output' : ''}`,
        );
        expect(failure.details).toMatchObject({ path: target, inUse: true });
      } finally {
        await holder.close();
      }
      // Every wait of the retry schedule was taken, each rename refused because the file was open.
      expect(fs.log.sleptMs).toBe(WAITED_MS);
      expect(fs.log.openRefused).toBe(WIN32_RENAME_DELAYS_MS.length + 1);
      expect(sha(tar)).toBe(sha(SAMPLE));
      expect(sha(target)).toBe(sha(SAMPLE));
      expect(readdirSync(root).sort()).toEqual(inPlace ? ['image.tar'] : ['image.tar', 'signed.tar']);
    });
  }
});
