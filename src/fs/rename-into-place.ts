/**
 * The one rename that puts a finished temp file in place over its final name. Every atomic write
 * (small files, layer files, tars) goes through it, so platform rules for replacing a file (e.g. a
 * retry while a Windows virus scanner holds the new file open) live in one place.
 */
import { rename } from 'node:fs/promises';

export async function renameIntoPlace(temp: string, target: string): Promise<void> {
  await rename(temp, target);
}
