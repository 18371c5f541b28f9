/**
 * The few file-system calls whose rules differ on Windows (replacing and removing files), with the
 * platform whose rules apply, as one object. Every operation that writes (sign, strip, repack, the
 * atomic small-file writer) takes it as an option (`platformFs`) and hands it down to the one
 * rename (rename-into-place.ts) and the one removal below, so tests can run the win32 code paths on
 * Linux against a file system that behaves like Windows. The default is node:fs and this process's
 * platform; the library never chooses another one itself.
 */
import { chmod, rename, rm, stat } from 'node:fs/promises';

export interface RemoveOptions {
  recursive?: boolean;
  force?: boolean;
  maxRetries?: number;
  retryDelay?: number;
}

export interface PlatformFs {
  /** Whose rules apply (win32: clear read-only before replacing, retry, close inputs first). */
  readonly platform: NodeJS.Platform;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<{ mode: number }>;
  chmod(path: string, mode: number): Promise<void>;
  rm(path: string, options: RemoveOptions): Promise<void>;
  /** Waits between retries. */
  sleep(ms: number): Promise<void>;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** node:fs with this process's platform. */
export const NODE_FS: PlatformFs = { platform: process.platform, rename, stat, chmod, rm, sleep: wait };

/**
 * Retries of a removal on Windows, where a scanner or indexer briefly holding a new file makes
 * unlink fail with EBUSY/EPERM: Node's rm waits 100, 200, … ms between tries (about 5.5 s in all).
 */
const WIN32_REMOVE_RETRIES = { maxRetries: 10, retryDelay: 100 } as const;

/**
 * Removes a temp file or folder (or a file this run made) if it exists: with retries on Windows,
 * where rm also clears a read-only attribute (blobs are 0o444) that would make a plain unlink fail.
 * Never retries elsewhere (a failure there is not transient).
 */
export async function removePath(path: string, fs: PlatformFs = NODE_FS, options: { recursive?: boolean } = {}): Promise<void> {
  await fs.rm(path, { force: true, ...(options.recursive === true ? { recursive: true } : {}), ...(fs.platform === 'win32' ? WIN32_REMOVE_RETRIES : {}) });
}
