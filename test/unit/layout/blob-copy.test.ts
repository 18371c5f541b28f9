import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_IO_ALIGNMENT, isAlignedMemory } from '../../../src/fs/aligned-memory.js';
import { COPY_CHUNK, copyVerified } from '../../../src/layout/blob-copy.js';
import { openRandomAccess } from '../../../src/tar/random-access.js';
import { isAirsignError } from '../../../src/errors.js';
import { sha256Digest } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-blob-copy-');
const prefix = 1000;
const blob = randomBytes(17 * 1024 * 1024 + 123);
const digest = sha256Digest(blob);

beforeAll(async () => {
  await writeFile(join(work, 'source'), Buffer.concat([randomBytes(prefix), blob, randomBytes(77)]));
});

async function copy(destinationOffset: number, expectedDigest = digest) {
  const file = await openRandomAccess(join(work, 'source'));
  const out = Buffer.alloc(blob.length);
  const chunks: Array<{ offset: number; length: number; aligned: boolean }> = [];
  try {
    await copyVerified({ file, offset: prefix, size: blob.length }, { digest: expectedDigest, size: blob.length }, 'blob', async (chunk, offset) => {
      chunks.push({ offset, length: chunk.length, aligned: isAlignedMemory(chunk) });
      Buffer.from(chunk).copy(out, offset);
      await new Promise((r) => setTimeout(r, 1)); // slow sink: several writes overlap
    }, { destinationOffset });
  } finally {
    await file.close();
  }
  return { out, chunks };
}

describe('copyVerified', () => {
  it('cuts chunks on page boundaries of the destination and copies every byte', async () => {
    const destinationOffset = 1536; // a tar entry's data after three 512-byte blocks
    const { out, chunks } = await copy(destinationOffset);
    expect(out.equals(blob)).toBe(true);
    expect(chunks[0]).toMatchObject({ offset: 0, length: DIRECT_IO_ALIGNMENT - destinationOffset });
    for (const c of chunks.slice(1)) expect((destinationOffset + c.offset) % DIRECT_IO_ALIGNMENT).toBe(0);
    expect(chunks.every((c) => c.aligned)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(blob.length);
    // A head, then full chunks, then the rest (17 MiB: a head, four 4 MiB chunks, the rest).
    expect(chunks).toHaveLength(1 + Math.ceil((blob.length - chunks[0]!.length) / COPY_CHUNK));
  });

  it('needs no short head when the destination is aligned', async () => {
    const { out, chunks } = await copy(8192);
    expect(out.equals(blob)).toBe(true);
    expect(chunks[0]!.length).toBe(COPY_CHUNK);
    expect(COPY_CHUNK % DIRECT_IO_ALIGNMENT).toBe(0);
  });

  it('fails on a digest mismatch after copying, leaving the decision to the caller', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(copy(0, wrong)).rejects.toSatisfy((e) => isAirsignError(e) && e.code === 'LAYOUT_DIGEST_MISMATCH');
  });

  it('reports a sink failure once, after the writes in flight settled', async () => {
    const file = await openRandomAccess(join(work, 'source'));
    let calls = 0;
    try {
      await expect(
        copyVerified({ file, offset: prefix, size: blob.length }, { digest, size: blob.length }, 'blob', async () => {
          calls++;
          if (calls === 2) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        }),
      ).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      await file.close();
    }
    expect(calls).toBeLessThanOrEqual(3);
  });
});
