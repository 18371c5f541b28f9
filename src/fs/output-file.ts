/**
 * A new file written at known offsets, made durable on finish: the sink of every large output (the
 * tars we write and the layer files `strip` moves out).
 *
 * By default everything goes through the page cache, with a background fdatasync every 32 MiB
 * (background-flush.ts) so the final fsync waits only for the tail. With `directIo: true`, big
 * aligned chunks go straight to the disk (O_DIRECT, where the platform and file system allow it)
 * and the rest (tar headers, the unaligned head and tail of a blob) through the page cache; the
 * two kinds never share a page. Which is faster depends on the machine: on the virtual machine
 * where direct I/O was first measured, buffered writes cost more kernel time than the disk write
 * itself; on the two measured since, a durable buffered copy took half to three quarters of the
 * time of a direct one (docs/performance.md). Where direct I/O is unavailable (Windows, macOS,
 * tmpfs) or refused by the file system on first use, the whole file goes through the page cache;
 * the bytes written are the same either way.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DIRECT_IO_ALIGNMENT, isAlignedMemory } from './aligned-memory.js';
import { BackgroundFlush } from './background-flush.js';

/** Errors by which a file system refuses a direct write (not a disk problem). */
const DIRECT_REFUSED = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP']);

export interface OutputFileOptions {
  /** Permission bits (umask applies); default 0o644. */
  mode?: number;
  /** Use direct I/O where possible (default false; the CLI turns it on for AIRSIGN_DIRECT_IO=1). */
  directIo?: boolean;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten === 0) break;
    done += bytesWritten;
  }
  return done;
}

/**
 * Opens `path` a second time (with `flags`) only if it is still the file `first` has open: never
 * through a symbolic link (O_NOFOLLOW), and the same device and inode. Someone swapping the name
 * between the two opens gets no write from us; we go on through the first descriptor alone.
 */
export async function openSameFile(path: string, first: FileHandle, flags: number): Promise<FileHandle | undefined> {
  const second = await open(path, flags | (constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (second === undefined) return undefined;
  try {
    const [a, b] = await Promise.all([first.stat({ bigint: true }), second.stat({ bigint: true })]);
    if (a.dev === b.dev && a.ino === b.ino) return second;
  } catch {
    /* fall through: not usable */
  }
  await second.close().catch(() => {});
  return undefined;
}

export class OutputFile {
  private readonly flush: BackgroundFlush;

  /** False once the file system refused a direct write; the handle stays open until we close. */
  private directUsable: boolean;
  private directWritten = 0;

  private constructor(
    private readonly buffered: FileHandle,
    private readonly direct: FileHandle | undefined,
    private readonly mode: number,
  ) {
    this.directUsable = direct !== undefined;
    this.flush = new BackgroundFlush(buffered);
  }

  /** Creates `path` exclusively (fails with EEXIST if it exists). */
  static async create(path: string, options: OutputFileOptions = {}): Promise<OutputFile> {
    const mode = options.mode ?? 0o644;
    // Owner-writable while we write (a second descriptor must be opened for writing); finish()
    // takes away the write bits the caller did not ask for.
    const buffered = await open(path, 'wx', mode | 0o200);
    let direct: FileHandle | undefined;
    const O_DIRECT = (constants as Record<string, number | undefined>)['O_DIRECT'];
    if (options.directIo === true && O_DIRECT !== undefined) {
      direct = await openSameFile(path, buffered, constants.O_WRONLY | O_DIRECT);
    }
    return new OutputFile(buffered, direct, mode);
  }

  /** Whether chunks can still go to the disk directly (false once the file system refused it). */
  get usesDirectIo(): boolean {
    return this.directUsable;
  }

  /** Bytes that went to the disk directly so far (the rest went through the page cache). */
  get directBytes(): number {
    return this.directWritten;
  }

  /** Writes all of `bytes` at `position`; calls may overlap when they cover different ranges. */
  async writeAt(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    if (this.directUsable && position % DIRECT_IO_ALIGNMENT === 0 && isAlignedMemory(bytes)) {
      const directLength = bytes.length - (bytes.length % DIRECT_IO_ALIGNMENT);
      if (directLength > 0) done = await this.writeDirect(bytes.subarray(0, directLength), position);
    }
    if (done < bytes.length) {
      const rest = bytes.subarray(done);
      if ((await writeFully(this.buffered, rest, position + done)) !== rest.length) throw Object.assign(new Error('short write'), { code: 'EIO' });
      this.flush.written(rest.length);
    }
  }

  /** Makes everything durable (fsync, which also covers what went directly to the disk) and closes. */
  async finish(): Promise<void> {
    // The final mode first, so the fsync below makes it durable with the data.
    const created = (await this.buffered.stat()).mode & 0o777;
    const unwanted = 0o222 & ~this.mode;
    if (created & unwanted) await this.buffered.chmod(created & ~unwanted);
    await this.flush.finish();
    await this.closeHandles();
  }

  /** Closes without finishing (after a failure); the caller removes the file. */
  async abort(): Promise<void> {
    await this.flush.settle();
    await this.closeHandles().catch(() => {});
  }

  /** Returns how many leading bytes went out directly; the caller writes the rest through the page cache. */
  private async writeDirect(bytes: Uint8Array, position: number): Promise<number> {
    try {
      const done = await writeFully(this.direct!, bytes, position);
      // A short direct write (the disk filling up) leaves the rest to the page-cache path, which
      // then reports the real error.
      const kept = done - (done % DIRECT_IO_ALIGNMENT);
      this.directWritten += kept;
      return kept;
    } catch (error) {
      // The file system accepted O_DIRECT at open but not these offsets, this memory or direct
      // writes at all (some FUSE and network file systems): go on through the page cache.
      if (!DIRECT_REFUSED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      this.directUsable = false;
      return 0;
    }
  }

  private async closeHandles(): Promise<void> {
    this.directUsable = false;
    try {
      await this.direct?.close();
    } finally {
      await this.buffered.close();
    }
  }
}
