/** The mode new outputs take from their input, so a private (0600) input never yields a readable output. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The permission bits of a layout's input (a tar's, or a directory's index.json), without execute
 * or set-id bits, for new files a run makes from it (the output tar, the record); undefined for stdin.
 */
export async function inputFileMode(source: { kind: string; path: string }): Promise<number | undefined> {
  if (source.kind === 'stdin') return undefined;
  const info = await stat(source.kind === 'directory' ? join(source.path, 'index.json') : source.path).catch(() => undefined);
  return info?.isFile() === true ? info.mode & 0o666 : undefined;
}
