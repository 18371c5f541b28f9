/**
 * strip into a directory that already holds layer files (a rerun, or a second copy of the image):
 * a file with the right size and content is kept as it is (same inode, same modification time; on
 * Windows it would otherwise have to be replaced although read-only); a corrupted or truncated one
 * is replaced by the verified blob.
 */
import { chmodSync, copyFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripLayout } from '../../../src/operations/strip.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLE = new URL('../../../samples/single.tar', import.meta.url).pathname;
const work = tempDir('airsign-strip-existing-');

function copyOfSample(name: string): string {
  const path = join(work, name);
  copyFileSync(SAMPLE, path);
  return path;
}

/** Layer file name → inode and modification time (ns). */
function identities(dir: string): Map<string, string> {
  return new Map(readdirSync(join(dir, 'sha256')).map((hex) => {
    const s = statSync(join(dir, 'sha256', hex), { bigint: true });
    return [hex, `${s.ino} ${s.mtimeNs}`];
  }));
}

function contentMatchesName(dir: string, hex: string): boolean {
  return sha256File(join(dir, 'sha256', hex)) === hex;
}

describe('strip into a directory that already holds the layers', () => {
  it('keeps layer files that check out and replaces corrupted or truncated ones', async () => {
    const layers = join(work, 'layers');
    const first = await stripLayout(copyOfSample('a.tar'), { directory: layers, reference: '1.4' });
    const before = identities(layers);
    expect(before.size).toBe(first.stripped.length);
    expect(before.size).toBeGreaterThanOrEqual(1);

    // A rerun with a second copy: nothing rewritten.
    const second = await stripLayout(copyOfSample('b.tar'), { directory: layers, reference: '1.4' });
    expect(second.stripped).toEqual(first.stripped);
    expect(identities(layers)).toEqual(before);

    // Corrupt one layer (same size), then truncate it in a later round: each time it is replaced.
    const hex = [...before.keys()][0]!;
    const path = join(layers, 'sha256', hex);
    chmodSync(path, 0o644);
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(path, bytes);
    const corrupted = identities(layers).get(hex);
    await stripLayout(copyOfSample('c.tar'), { directory: layers, reference: '1.4' });
    const after = identities(layers);
    expect(after.get(hex)).not.toBe(corrupted);
    expect(contentMatchesName(layers, hex)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o444);
    for (const [other, id] of before) if (other !== hex) expect(after.get(other)).toBe(id);

    chmodSync(path, 0o644);
    truncateSync(path, 1);
    await stripLayout(copyOfSample('d.tar'), { directory: layers, reference: '1.4' });
    expect(statSync(path).size).toBe(first.stripped.find((b) => b.digest === `sha256:${hex}`)!.size);
    expect(contentMatchesName(layers, hex)).toBe(true);
  });
});
