/**
 * Looking at a folder that a running airsign process writes into (tests that kill or interrupt a run
 * at a chosen moment). Entries appear, are renamed and vanish between listing and looking at them,
 * so nothing here stats an entry it only listed: the type comes from the listing itself, a folder
 * gone by the time it is read is empty, and a temp file gone before its size is read is skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The name airsign gives a temp file: `.<target>.airsign-<host tag>-<pid>-<random>.tmp`. */
export const AIRSIGN_TEMP_NAME = /^\.(.+)\.airsign-([0-9a-f]{8})-(\d+)-[0-9a-f]+\.tmp$/;

/** Every path under `dir` (relative, `/`-separated as listed), sorted; [] when `dir` is missing. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const p = join(d, entry.name);
      out.push(relative(dir, p));
      if (entry.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** airsign temp files under `dir` that still exist, with their sizes. */
export function airsignTempFiles(dir: string): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  for (const p of tree(dir)) {
    if (!AIRSIGN_TEMP_NAME.test(p.split('/').pop()!)) continue;
    const size = statSync(join(dir, p), { throwIfNoEntry: false })?.size;
    if (size !== undefined) out.push({ path: p, size });
  }
  return out;
}
