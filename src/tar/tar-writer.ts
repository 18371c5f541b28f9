/**
 * Writes a plain ustar archive sequentially to a new file, the way Go's archive/tar (and so
 * buildx) does: uid/gid 0, mtime 0, no `./` prefix, PAX only when a field overflows, two zero
 * blocks at the end, no record padding. Data is written as it arrives; nothing is buffered
 * beyond one header. Entry data starts on 512-byte boundaries; `nextDataOffset` lets a copier cut
 * its chunks so that they fall on page boundaries and can go to the disk directly (output-file.ts).
 */
import { OutputFile } from '../fs/output-file.js';
import { BLOCK, encodeHeader, paddingFor } from './tar-header.js';

const ZEROS = new Uint8Array(BLOCK * 2);

export class TarWriter {
  private position = 0;
  private remaining = 0;
  private pendingPadding = 0;

  private constructor(private readonly output: OutputFile) {}

  /** Creates `path` exclusively (fails if it exists); `directIo` as for OutputFile (default false). */
  static async create(path: string, options: { directIo?: boolean } = {}): Promise<TarWriter> {
    return new TarWriter(await OutputFile.create(path, { mode: 0o644, ...options }));
  }

  get bytesWritten(): number {
    return this.position;
  }

  /** The file offset the next data() chunk will be written at. */
  get nextDataOffset(): number {
    return this.position;
  }


  async directory(path: string, mode = 0o755): Promise<void> {
    this.assertIdle();
    await this.write(encodeHeader({ path, size: 0, mode, type: 'directory' }));
  }

  /** Writes a whole small file held in memory. */
  async file(path: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
    await this.begin(path, bytes.length, mode);
    await this.data(bytes);
    await this.end();
  }

  /** Starts a file of `size` bytes; feed it with data() and close it with end(). */
  async begin(path: string, size: number, mode = 0o444): Promise<void> {
    this.assertIdle();
    await this.write(encodeHeader({ path, size, mode, type: 'file' }));
    this.remaining = size;
    this.pendingPadding = paddingFor(size);
  }

  /**
   * Writes the header of a file of `size` bytes and its padding now, and leaves room for its data,
   * to be written later at any time through the returned `write` (offsets within the entry's data;
   * calls may overlap). The next entry follows at once, so several entries' data can be written at
   * the same time; the file is complete once every reserved entry's data is written.
   */
  async reserve(path: string, size: number, mode = 0o444): Promise<{ dataOffset: number; write: (chunk: Uint8Array, offset: number) => Promise<void> }> {
    this.assertIdle();
    await this.write(encodeHeader({ path, size, mode, type: 'file' }));
    const dataOffset = this.position;
    this.position += size;
    const padding = paddingFor(size);
    if (padding > 0) await this.write(ZEROS.subarray(0, padding));
    return {
      dataOffset,
      write: async (chunk, offset) => {
        if (offset < 0 || offset + chunk.length > size) throw new RangeError('tar entry data exceeds its declared size');
        await this.output.writeAt(chunk, dataOffset + offset);
      },
    };
  }

  /**
   * Appends `chunk` to the current entry. May be called again before the previous call settled
   * (each call reserves its place at once), so a copier can keep several writes in flight.
   */
  async data(chunk: Uint8Array): Promise<void> {
    if (chunk.length > this.remaining) throw new RangeError('tar entry data exceeds its declared size');
    this.remaining -= chunk.length;
    await this.write(chunk);
  }

  async end(): Promise<void> {
    if (this.remaining !== 0) throw new RangeError('tar entry data is shorter than its declared size');
    if (this.pendingPadding > 0) await this.write(ZEROS.subarray(0, this.pendingPadding));
    this.pendingPadding = 0;
  }

  /** Writes the end-of-archive marker, flushes to disk and closes. */
  async finish(): Promise<void> {
    this.assertIdle();
    await this.write(ZEROS);
    await this.output.finish();
  }

  /** Closes without finishing (after a failure); the caller removes the file. */
  async abort(): Promise<void> {
    await this.output.abort();
  }

  private assertIdle(): void {
    if (this.remaining !== 0 || this.pendingPadding !== 0) throw new RangeError('previous tar entry not finished');
  }

  private async write(bytes: Uint8Array): Promise<void> {
    const at = this.position;
    this.position += bytes.length;
    await this.output.writeAt(bytes, at);
  }
}
