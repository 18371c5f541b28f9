/**
 * checkBlob, the integrity pass `verify` runs over every blob: blobs spanning several read chunks
 * pass and fail byte-exactly in a tar and a directory; files are read with blocking reads (the
 * cheaper path, see check-blob.ts) and sources without them still work; a long blob lets the
 * event loop run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { checkBlob } from '../../../src/layout/check-blob.js';
import { openLayout, type ByteRange, type Layout } from '../../../src/layout/open-layout.js';
import type { RandomAccessFile } from '../../../src/tar/random-access.js';
import { concat, END, member } from '../../helpers/raw-tar.js';
import { sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-check-blob-');

const MiB = 1024 * 1024;
const INDEX = '{"schemaVersion":2,"manifests":[]}';
const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';

/** 3 MiB + 123 bytes of varied content: three full 1 MiB chunks and a short last one. */
function bigBlob(): Uint8Array {
  const bytes = new Uint8Array(3 * MiB + 123);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  return bytes;
}

function descriptorOf(bytes: Uint8Array) {
  return { mediaType: 'application/octet-stream', digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length };
}

function tarWith(blob: Uint8Array, stored: Uint8Array = blob): string {
  const path = join(work, `layout-${Math.random().toString(36).slice(2)}.tar`);
  writeFileSync(path, concat([
    member({ name: 'oci-layout', data: OCI_LAYOUT }),
    member({ name: 'index.json', data: INDEX }),
    member({ name: `blobs/sha256/${sha256Hex(blob)}`, data: stored }),
    END,
  ]));
  return path;
}

function directoryWith(blob: Uint8Array, stored: Uint8Array = blob): { root: string; blobPath: string } {
  const root = mkdtempSync(join(work, 'dir-'));
  mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(root, 'oci-layout'), OCI_LAYOUT);
  writeFileSync(join(root, 'index.json'), INDEX);
  const blobPath = join(root, 'blobs', 'sha256', sha256Hex(blob));
  writeFileSync(blobPath, stored);
  return { root, blobPath };
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isAirsignError(error)) return error.code;
    throw error;
  }
  return 'NO_ERROR';
}

async function check(source: string, desc: ReturnType<typeof descriptorOf>): Promise<string> {
  const layout = await openLayout(source);
  try {
    return await codeOf(() => checkBlob(layout, desc));
  } finally {
    await layout.close();
  }
}

/** A Layout holding one blob of `size` bytes served by `file` (only what checkBlob uses). */
function layoutOver(file: RandomAccessFile, digest: string, size: number): Layout {
  const range: ByteRange = { file, offset: 0, size, release: async () => {} };
  return {
    source: { kind: 'tar', path: 'memory' },
    blobSize: (d: string) => (d === digest ? size : undefined),
    blobRange: async () => range,
  } as unknown as Layout;
}

describe('checkBlob', () => {
  const blob = bigBlob();
  const desc = descriptorOf(blob);

  it('passes a multi-chunk blob in a tar and in a directory, and returns its size', async () => {
    const layout = await openLayout(tarWith(blob));
    try {
      expect(await checkBlob(layout, desc)).toBe(blob.length);
    } finally {
      await layout.close();
    }
    expect(await check(directoryWith(blob).root, desc)).toBe('NO_ERROR');
  });

  it('finds one changed byte in any chunk (first, middle, the short last one)', async () => {
    for (const at of [0, MiB - 1, MiB, 2 * MiB + 77, blob.length - 1]) {
      const changed = blob.slice();
      changed[at] = changed[at]! ^ 0x01;
      expect(await check(tarWith(blob, changed), desc), `tar, byte ${at}`).toBe('LAYOUT_DIGEST_MISMATCH');
      expect(await check(directoryWith(blob, changed).root, desc), `directory, byte ${at}`).toBe('LAYOUT_DIGEST_MISMATCH');
    }
  });

  it('a blob that shrinks after the layout was opened is truncated, not passed', async () => {
    const { root, blobPath } = directoryWith(blob);
    const layout = await openLayout(root);
    try {
      truncateSync(blobPath, 2 * MiB);
      expect(await codeOf(() => checkBlob(layout, desc))).toBe('LAYOUT_SIZE_MISMATCH');
    } finally {
      await layout.close();
    }
    // the stored size already differs from the descriptor
    expect(await check(root, desc)).toBe('LAYOUT_SIZE_MISMATCH');
  });

  it('reads with blocking reads when the file offers them, and with read() when it does not', async () => {
    const serve = (buffer: Uint8Array, offset: number, length: number, position: number): number => {
      const n = Math.max(0, Math.min(length, blob.length - position));
      buffer.set(blob.subarray(position, position + n), offset);
      return n;
    };
    let asyncReads = 0;
    const withSync: RandomAccessFile = {
      size: blob.length,
      read: async () => { asyncReads++; throw new Error('read() used where readSync() was available'); },
      readSync: serve,
      close: async () => {},
    };
    expect(await checkBlob(layoutOver(withSync, desc.digest, blob.length), desc)).toBe(blob.length);
    expect(asyncReads).toBe(0);

    const asyncOnly: RandomAccessFile = {
      size: blob.length,
      read: async (...args) => { asyncReads++; return serve(...args); },
      close: async () => {},
    };
    expect(await checkBlob(layoutOver(asyncOnly, desc.digest, blob.length), desc)).toBe(blob.length);
    expect(asyncReads).toBeGreaterThan(0);

    const short: RandomAccessFile = { ...withSync, readSync: (b, o, l, p) => (p >= 2 * MiB ? 0 : serve(b, o, l, p)) };
    expect(await codeOf(() => checkBlob(layoutOver(short, desc.digest, blob.length), desc))).toBe('TAR_TRUNCATED');
  });

  it('lets timers run while a large blob is checked', async () => {
    const size = 200 * MiB;
    const zeros = new Uint8Array(MiB);
    const hash = createHash('sha256');
    for (let i = 0; i < size / MiB; i++) hash.update(zeros);
    const zeroDesc = { mediaType: 'application/octet-stream', digest: `sha256:${hash.digest('hex')}`, size };
    const file: RandomAccessFile = {
      size,
      read: async () => { throw new Error('not used'); },
      readSync: (buffer, offset, length) => { buffer.fill(0, offset, offset + length); return length; },
      close: async () => {},
    };
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    try {
      await checkBlob(layoutOver(file, zeroDesc.digest, size), zeroDesc);
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });
});
