/**
 * The differential peer for airsign's tar reader: test/peers/go-tar-list (Go's archive/tar read the
 * way oras-go's tarfs reads a layout tar), compiled once with Debian's Go 1.19 into the temp
 * directory, and a comparison of its view with airsign's indexTar view of the same file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRandomAccess, readFully } from '../../src/tar/random-access.js';
import { indexTar } from '../../src/tar/tar-index.js';
import { isAirsignError } from '../../src/errors.js';

const SOURCE = fileURLToPath(new URL('../peers/go-tar-list/main.go', import.meta.url));
export const GO = '/usr/lib/go-1.19/bin/go';

export interface GoEntry {
  name: string;
  type: string;
  size: number;
  sha256?: string;
}
export type GoView = { error: string } | { entries: GoEntry[] };
export type AirsignView = { error: string; code: string } | { files: Map<string, { size: number; sha256: string }> };

/** Builds (once per source version) and returns the path of the go-tar-list binary. */
export function goTarList(): string {
  if (!existsSync(GO)) throw new Error(`${GO} is missing: run scripts/install-test-deps.sh (golang-1.19-go)`);
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const out = join(tmpdir(), `airsign-go-tar-list-${hash}`);
  if (existsSync(out)) return out;
  const work = mkdtempSync(join(tmpdir(), 'airsign-go-build-'));
  try {
    mkdirSync(join(work, 'src', 'golist'), { recursive: true });
    copyFileSync(SOURCE, join(work, 'src', 'golist', 'main.go'));
    execFileSync(GO, ['build', '-o', `${out}.${process.pid}`, '.'], {
      cwd: join(work, 'src', 'golist'),
      env: { ...process.env, GOPATH: work, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(work, 'cache'), CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(`${out}.${process.pid}`, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
      files.set(e.path, { size: e.size, sha256: createHash('sha256').update(buf).digest('hex') });
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
