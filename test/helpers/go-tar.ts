/**
 * The differential peer for airsign's tar reader: test/peers/go-tar-list (Go's archive/tar read the
 * way oras-go's tarfs reads a layout tar), compiled once with Debian's Go 1.19 into the temp
 * directory, and a comparison of its view with airsign's indexTar view of the same file.
 */
import { execFileSync } from 'node:child_process';
import { goPeer } from './go-peer.js';
import { openRandomAccess, readFully } from '../../src/tar/random-access.js';
import { indexTar } from '../../src/tar/tar-index.js';
import { isAirsignError } from '../../src/errors.js';
import { sha256Hex } from './sha256.js';

export interface GoEntry {
  name: string;
  type: string;
  size: number;
  sha256?: string;
}
export type GoView = { error: string } | { entries: GoEntry[] };
export type AirsignView = { error: string; code: string } | { files: Map<string, { size: number; sha256: string }> };

/** The go-tar-list binary (built once per source version). */
export function goTarList(): string {
  return goPeer('go-tar-list');
}

/** Go's views of many tars, in one process. */
export function goViews(paths: string[]): GoView[] {
  const bin = goTarList();
  const views: GoView[] = [];
  for (let i = 0; i < paths.length; i += 200) {
    const out = execFileSync(bin, paths.slice(i, i + 200), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    for (const line of out.trim().split('\n')) views.push(JSON.parse(line) as GoView);
  }
  return views;
}

export async function airsignView(path: string): Promise<AirsignView> {
  const file = await openRandomAccess(path);
  try {
    const { entries } = await indexTar(file, path);
    const files = new Map<string, { size: number; sha256: string }>();
    for (const e of entries.values()) {
      if (e.type !== 'file') continue;
      const buf = new Uint8Array(e.size);
      await readFully(file, buf, 0, e.size, e.offset);
      files.set(e.path, { size: e.size, sha256: sha256Hex(buf) });
    }
    return { files };
  } catch (error) {
    if (!isAirsignError(error)) throw error;
    return { error: error.message, code: error.code };
  } finally {
    await file.close();
  }
}

/**
 * Undefined when airsign refused the tar or sees exactly the regular files (names and bytes) that
 * Go/tarfs sees; otherwise a description of the difference.
 */
export function viewDifference(air: AirsignView, go: GoView): string | undefined {
  if ('error' in air) return undefined;
  if ('error' in go) return `airsign accepted a tar Go refuses (${go.error})`;
  const goFiles = new Map(go.entries.filter((e) => e.type === '0').map((e) => [e.name, e]));
  for (const [name, f] of air.files) {
    const g = goFiles.get(name);
    if (!g) return `airsign sees file ${JSON.stringify(name)}, Go/tarfs does not`;
    if (g.sha256 !== f.sha256) return `${JSON.stringify(name)}: airsign reads ${f.size} bytes ${f.sha256.slice(0, 12)}, Go/tarfs ${g.size} bytes ${g.sha256!.slice(0, 12)}`;
  }
  for (const name of goFiles.keys()) if (!air.files.has(name)) return `Go/tarfs sees file ${JSON.stringify(name)}, airsign does not`;
  return undefined;
}
