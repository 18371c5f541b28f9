import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, acquireLocks, lockPathFor } from '../../../src/fs/file-lock.js';
import { HOST_TAG } from '../../../src/fs/temp-files.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-file-lock-');

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('file locks', () => {
  it('names the lock beside the file (a directory gets one beside it, not inside)', () => {
    expect(lockPathFor('/data/image.tar')).toBe('/data/.image.tar.airsign.lock');
    expect(lockPathFor('/data/layers/')).toBe('/data/.layers.airsign.lock');
  });

  it('is exclusive: a second taker waits until the first releases', async () => {
    const target = join(work, 'a.tar');
    const first = await acquireLock(target);
    expect(JSON.parse(readFileSync(first.path, 'utf8'))).toMatchObject({ pid: process.pid, host: HOST_TAG });
    let secondHas = false;
    let waiting!: (pid: number) => void;
    const waitedFor = new Promise<number>((resolve) => (waiting = resolve));
    const second = acquireLock(target, { onWait: (holder) => waiting(holder.pid) }).then((lock) => {
      secondHas = true;
      return lock;
    });
    // The second taker found the lock held by us and started waiting (onWait, an event, not a guessed
    // delay); it is granted only after the first lets go.
    expect(await waitedFor).toBe(process.pid);
    expect(secondHas).toBe(false);
    await first.release();
    const lock = await second;
    expect(existsSync(lock.path)).toBe(true);
    await lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('fails with LAYOUT_LOCKED naming the holder when the wait runs out', async () => {
    const target = join(work, 'b.tar');
    const first = await acquireLock(target);
    await expect(acquireLock(target, { waitMs: 0 })).rejects.toMatchObject({
      code: 'LAYOUT_LOCKED',
      message: expect.stringMatching(new RegExp(`b\\.tar is being changed by process ${process.pid} on `)),
    });
    await first.release();
  });

  it('stops waiting when its AbortSignal fires', async () => {
    const target = join(work, 'c.tar');
    const first = await acquireLock(target);
    const controller = new AbortController();
    // Aborted once it is waiting (onWait), not after a guessed delay.
    const waiting = acquireLock(target, { signal: controller.signal, onWait: () => controller.abort(new DOMException('stop', 'AbortError')) });
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await first.release();
  });

  it('breaks a lock left by an ended process of this host, and an unreadable old one', async () => {
    const target = join(work, 'd.tar');
    writeFileSync(lockPathFor(target), JSON.stringify({ pid: deadPid(), host: HOST_TAG, hostname: 'here', token: 'old' }));
    const lock = await acquireLock(target, { waitMs: 0 });
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();

    writeFileSync(lockPathFor(target), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPathFor(target), old, old);
    await (await acquireLock(target, { waitMs: 0 })).release();
  });

  it('respects a lock of another host (it cannot tell whether that process runs)', async () => {
    const target = join(work, 'e.tar');
    writeFileSync(lockPathFor(target), JSON.stringify({ pid: deadPid(), host: HOST_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff', hostname: 'build-7', token: 't' }));
    await expect(acquireLock(target, { waitMs: 0 })).rejects.toMatchObject({ code: 'LAYOUT_LOCKED', message: expect.stringContaining('on build-7') });
    rmSync(lockPathFor(target));
  });

  it('takes several locks in one order and releases them all', async () => {
    const a = join(work, 'f.tar');
    const b = join(work, 'layers');
    const both = await acquireLocks([b, a]);
    await expect(acquireLock(a, { waitMs: 0 })).rejects.toMatchObject({ code: 'LAYOUT_LOCKED' });
    await expect(acquireLock(b, { waitMs: 0 })).rejects.toMatchObject({ code: 'LAYOUT_LOCKED' });
    await both.release();
    expect(existsSync(lockPathFor(a)) || existsSync(lockPathFor(b))).toBe(false);
  });
});

describe('optional locks', () => {
  it('go on without a lock where the folder cannot be written (read-only media), and fail otherwise', async (ctx) => {
    if (process.getuid?.() === 0) {
      // root writes through permission bits: use a read-only bind of the folder instead.
      const ro = join(work, 'ro');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(ro, 'layers'), { recursive: true });
      const r = spawnSync('mount', ['-o', 'bind,ro', ro, ro]);
      if (r.status !== 0) ctx.skip();
      try {
        const lock = await acquireLocks([{ path: join(ro, 'layers'), optional: true }], { waitMs: 0 });
        await lock.release();
        await expect(acquireLock(join(ro, 'layers'), { waitMs: 0 })).rejects.toMatchObject({ code: 'OUTPUT_WRITE_FAILED', message: expect.stringContaining('read-only file system') });
      } finally {
        spawnSync('umount', [ro]);
      }
    } else {
      const { chmodSync, mkdirSync } = await import('node:fs');
      const ro = join(work, 'ro');
      mkdirSync(join(ro, 'layers'), { recursive: true });
      chmodSync(ro, 0o555);
      try {
        await (await acquireLocks([{ path: join(ro, 'layers'), optional: true }], { waitMs: 0 })).release();
        await expect(acquireLock(join(ro, 'layers'), { waitMs: 0 })).rejects.toMatchObject({ code: 'OUTPUT_WRITE_FAILED' });
      } finally {
        chmodSync(ro, 0o755);
      }
    }
  });
});
