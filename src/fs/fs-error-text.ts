/**
 * Plain words for file-system failures. Users see "ap.tar: no such file", not "ENOENT"; every
 * message that reports an fs error takes its wording from here.
 */

const WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EBUSY: 'the file is busy',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ENFILE: 'too many open files',
  ENOENT: 'no such file',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'a part of the path is not a directory',
  ENXIO: 'no such device',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ETXTBSY: 'the file is busy',
  EXDEV: 'not on the same file system',
};

/** The errno code of an fs error, if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** "no such file", "no space left on device", … (the error's own message for an unknown code). */
export function fsErrorText(error: unknown): string {
  const code = errnoOf(error);
  if (code !== undefined && Object.hasOwn(WORDS, code)) return WORDS[code]!;
  const message = error instanceof Error ? error.message : String(error);
  // Node's messages look like "ENOSPC: no space left on device, write"; keep the words only.
  return message.replace(/^[A-Z]+: /, '').replace(/, \w+(?: '[^']*')*$/, '');
}

/** Whether the failure means the disk (or quota) is full. */
export function isDiskFull(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}
