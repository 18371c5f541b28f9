/**
 * Keeps the final fsync of a large output short. The kernel holds gigabytes of dirty pages before
 * it starts writing back, so a single fsync at the end of a 2 GiB copy stalls for the whole disk
 * write. Starting an fdatasync every FLUSH_EVERY bytes (at most one in flight, on libuv's thread
 * pool) lets the disk work while we keep reading and hashing; `finish` then only waits for the tail.
 */
import type { FileHandle } from 'node:fs/promises';

const FLUSH_EVERY = 32 * 1024 * 1024;

export class BackgroundFlush {
  private sinceFlush = 0;
  private inFlight: Promise<void> | undefined;
  /** The first flush error, boxed (the thrown value may be anything, even undefined). */
  private failure: { error: unknown } | undefined;

  constructor(private readonly handle: FileHandle) {}

  /** Records `bytes` written; starts a background flush when enough has piled up. */
  written(bytes: number): void {
    this.sinceFlush += bytes;
    if (this.sinceFlush < FLUSH_EVERY || this.inFlight !== undefined) return;
    this.sinceFlush = 0;
    this.inFlight = this.handle.datasync().then(
      () => {
        this.inFlight = undefined;
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inFlight = undefined;
      },
    );
  }

  /** Waits for any background flush, then makes everything durable (fsync); rethrows a flush error. */
  async finish(): Promise<void> {
    await this.inFlight;
    if (this.failure !== undefined) throw this.failure.error;
    await this.handle.sync();
  }

  /** Waits for a background flush to settle, ignoring its result (before closing after a failure). */
  async settle(): Promise<void> {
    await this.inFlight;
  }
}
