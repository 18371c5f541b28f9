import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocateAlignedBuffers, DIRECT_IO_ALIGNMENT, isAlignedMemory } from '../../../src/fs/aligned-memory.js';
import { OutputFile } from '../../../src/fs/output-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-output-file-');
/** Whether the test directory's file system takes O_DIRECT at all (ext4 does; some tmpfs do not). */
let directSupported: boolean;

beforeAll(async () => {
  const probe = join(work, 'probe');
  await (await open(probe, 'w')).close();
  const handle = await open(probe, constants.O_WRONLY | constants.O_DIRECT).catch(() => undefined);
  directSupported = handle !== undefined;
  await handle?.close();
});

/** Writes `pieces` (each copied into aligned or ordinary memory) at their offsets; returns the file and the expected bytes. */
async function writePieces(name: string, pieces: Array<{ at: number; length: number; aligned: boolean }>, options: { directIo?: boolean; mode?: number } = {}) {
  const path = join(work, name);
  const total = Math.max(...pieces.map((p) => p.at + p.length));
  const expected = Buffer.alloc(total);
  const output = await OutputFile.create(path, options);
  for (const piece of pieces) {
    const content = randomBytes(piece.length);
    content.copy(expected, piece.at);
    const memory = piece.aligned ? allocateAlignedBuffers(1, Math.ceil(piece.length / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT)[0]!.subarray(0, piece.length) : Buffer.allocUnsafe(piece.length);
    content.copy(memory);
    await output.writeAt(memory, piece.at);
  }
  const usedDirect = output.usesDirectIo;
  const directBytes = output.directBytes;
  await output.finish();
  return { path, expected, usedDirect, directBytes };
}

describe('aligned memory', () => {
  it('hands out page-aligned buffers and tells them from ordinary ones', () => {
    const [a, b] = allocateAlignedBuffers(2, 3 * DIRECT_IO_ALIGNMENT);
    expect(a!.length).toBe(3 * DIRECT_IO_ALIGNMENT);
    expect(isAlignedMemory(a!)).toBe(true);
    expect(isAlignedMemory(b!)).toBe(true);
    expect(isAlignedMemory(a!.subarray(DIRECT_IO_ALIGNMENT))).toBe(true);
    expect(isAlignedMemory(a!.subarray(512))).toBe(false);
    expect(isAlignedMemory(Buffer.alloc(DIRECT_IO_ALIGNMENT))).toBe(false);
    expect(() => allocateAlignedBuffers(1, 1000)).toThrow(RangeError);
  });
});

describe('OutputFile', () => {
  const layout = [
    { at: 0, length: 512, aligned: false }, // a tar header: page cache
    { at: 512, length: 3584, aligned: true }, // head of a blob up to the first page boundary: page cache
    { at: 4096, length: 5 * DIRECT_IO_ALIGNMENT + 100, aligned: true }, // aligned: 5 pages direct, 100 bytes cached
    { at: 4096 + 5 * DIRECT_IO_ALIGNMENT + 100, length: 412 + 512, aligned: false }, // padding + next header
    { at: 32768, length: 65536, aligned: false }, // aligned offset, ordinary memory: page cache
  ];

  it('sends whole aligned pages to the disk directly and everything else through the page cache, byte-exact', async () => {
    const r = await writePieces('mixed', layout, { directIo: true });
    expect(await readFile(r.path)).toEqual(r.expected);
    if (directSupported) {
      expect(r.usedDirect).toBe(true);
      expect(r.directBytes).toBe(5 * DIRECT_IO_ALIGNMENT);
    } else {
      expect(r.directBytes).toBe(0);
    }
  });

  it('writes the same bytes through the page cache by default, and with direct I/O turned off', async () => {
    const byDefault = await writePieces('default', layout);
    expect(byDefault.usedDirect).toBe(false);
    expect(byDefault.directBytes).toBe(0);
    expect(await readFile(byDefault.path)).toEqual(byDefault.expected);
    const r = await writePieces('buffered', layout, { directIo: false });
    expect(r.usedDirect).toBe(false);
    expect(r.directBytes).toBe(0);
    expect(await readFile(r.path)).toEqual(r.expected);
  });

  it('leaves the mode asked for (read-only files too) once finished', async () => {
    const r = await writePieces('read-only', [{ at: 0, length: 2 * DIRECT_IO_ALIGNMENT, aligned: true }], { mode: 0o444 });
    expect((await stat(r.path)).mode & 0o222).toBe(0);
    expect(await readFile(r.path)).toEqual(r.expected);
  });

  it('refuses to replace an existing file', async () => {
    await writePieces('exists', [{ at: 0, length: 10, aligned: false }]);
    await expect(OutputFile.create(join(work, 'exists'))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});
