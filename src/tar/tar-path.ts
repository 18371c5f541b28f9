/** Normalises tar entry names and refuses names that could escape an extraction root. */
import { airsignError } from '../errors.js';

/**
 * Returns the clean relative path for a tar name (`./a//b/` → `a/b`, `./` → ``), or throws
 * TAR_UNSAFE_PATH for absolute names, drive letters, backslashes and `..` components.
 */
export function normalizeEntryPath(name: string): string {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\')) {
    throw airsignError('TAR_UNSAFE_PATH', `tar entry ${JSON.stringify(name)} has an absolute or drive path`);
  }
  if (name.includes('\0')) throw airsignError('TAR_UNSAFE_PATH', `tar entry name contains a NUL byte`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw airsignError('TAR_UNSAFE_PATH', `tar entry ${JSON.stringify(name)} contains ".."`);
    parts.push(part);
  }
  return parts.join('/');
}
