/**
 * The one rename that puts a finished temp file in place over its final name. Every atomic write
 * (small files, layer files, tars, a stale lock moved aside) goes through it, so platform rules for
 * replacing a file live in one place; no other module calls fs rename. On Windows: rename refuses
 * to replace a read-only file (blobs are written 0o444, which sets the read-only attribute), so that
 * attribute is cleared first (and put back if the rename still fails; on success the new file
 * carries its own mode, which write-layout copies from the file it replaces); and antivirus, the
 * search indexer and backup agents briefly open new files, so EPERM/EACCES/EBUSY are retried with
 * backoff for about 9 s. Elsewhere it is a plain rename. The platform and fs calls come in as one
 * PlatformFs (platform-fs.ts) so tests run the Windows rules here.
 */
import { NODE_FS, type PlatformFs } from './platform-fs.js';

const TRANSIENT = new Set(['EPERM', 'EACCES', 'EBUSY']);
/** Waits between attempts on Windows: 50 ms doubling to 1 s, 8.55 s in all. */
export const WIN32_RENAME_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000];

export async function renameIntoPlace(temp: string, target: string, fs: PlatformFs = NODE_FS): Promise<void> {
  if (fs.platform !== 'win32') {
    await fs.rename(temp, target);
    return;
  }
  const readOnlyMode = await fs.stat(target).then((s) => ((s.mode & 0o200) === 0 ? s.mode & 0o7777 : undefined), () => undefined);
  if (readOnlyMode !== undefined) await fs.chmod(target, readOnlyMode | 0o200);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.rename(temp, target);
        return;
      } catch (error) {
        const delay = WIN32_RENAME_DELAYS_MS[attempt];
        if (!TRANSIENT.has((error as NodeJS.ErrnoException).code ?? '') || delay === undefined) throw error;
        await fs.sleep(delay);
      }
    }
  } catch (error) {
    if (readOnlyMode !== undefined) await fs.chmod(target, readOnlyMode).catch(() => undefined);
    throw error;
  }
}
