/**
 * No command overwrites one of its own inputs (the layout, a key, a certificate, a secret file) or
 * another output of the same run, however the paths are spelled: an existing file is the same file
 * as another when both have the same device and inode (symbolic links followed, hard links seen),
 * and a file that does not exist yet is named by the real path of its nearest existing folder.
 * `--force` does not change any of this. The checks run before anything is read or written.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { airsignError } from '../errors.js';

/** A path and how the user named it ("--record", "the key"), for messages. */
export interface NamedPath {
  path: string;
  what: string;
}

/**
 * The absolute path `path` has or would have with every symbolic link in its existing part
 * resolved: the real path of its nearest existing ancestor, then the rest as written.
 */
export async function resolveFuturePath(path: string): Promise<string> {
  const absolute = resolve(path);
  const rest: string[] = [];
  for (let current = absolute; ; current = dirname(current)) {
    const real = await realpath(current).catch(() => undefined);
    if (real !== undefined) return rest.length === 0 ? real : join(real, ...rest.reverse());
    if (dirname(current) === current) return absolute;
    rest.push(basename(current));
  }
}

/** Whether `path` is `directory` or inside it (both resolved as {@link resolveFuturePath}). */
export async function isInsideDirectory(path: string, directory: string): Promise<boolean> {
  const [p, d] = await Promise.all([resolveFuturePath(path), resolveFuturePath(directory)]);
  return p === d || p.startsWith(d.endsWith(sep) ? d : d + sep);
}

/** What identifies the file at `path`: device and inode when it exists, else its resolved path. */
async function fileIdentity(path: string): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : Promise.reject(error))).catch(() => null);
  if (info === null) return `unreadable:${resolve(path)}`;
  if (info !== undefined) return `inode:${info.dev}:${info.ino}`;
  return `path:${await resolveFuturePath(path)}`;
}

/**
 * Refuses (OUTPUT_OVERWRITES_INPUT) an output that is the same file as one of `inputs` or as an
 * earlier output. Paths that are undefined or empty are left out.
 */
export async function refuseOverwritingInputs(outputs: ReadonlyArray<NamedPath | undefined>, inputs: ReadonlyArray<NamedPath | undefined>): Promise<void> {
  const given = (list: ReadonlyArray<NamedPath | undefined>) => list.filter((p): p is NamedPath => p !== undefined && p.path !== '' && p.path !== '-');
  const known: Array<NamedPath & { id: string; input: boolean }> = [];
  for (const input of given(inputs)) known.push({ ...input, id: await fileIdentity(input.path), input: true });
  for (const output of given(outputs)) {
    const id = await fileIdentity(output.path);
    const same = known.find((k) => k.id === id);
    if (same !== undefined) {
      const message = same.input
        ? `${output.what} ${output.path} is also an input (${same.what} ${same.path}); write it elsewhere`
        : `${output.what} ${output.path} is the same file as ${same.what} ${same.path}; give them different paths`;
      throw airsignError('OUTPUT_OVERWRITES_INPUT', message, { details: { output: output.path, other: same.path } });
    }
    known.push({ ...output, id, input: false });
  }
}

/**
 * Refuses (OUTPUT_OVERWRITES_INPUT) an output inside `source` when that input is a directory (a
 * layout directory: the output would replace one of its files).
 */
export async function refuseOutputInsideDirectoryInput(output: string | undefined, source: string, what = 'options.output'): Promise<void> {
  if (output === undefined || output === '' || source === '-') return;
  const info = await stat(source).catch(() => undefined);
  if (info?.isDirectory() === true && (await isInsideDirectory(output, source))) {
    throw airsignError('OUTPUT_OVERWRITES_INPUT', `${what} ${output} is inside the layout directory ${source} it is made from; write it elsewhere`, { details: { output, source } });
  }
}
