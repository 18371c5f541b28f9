/**
 * The Go test peers under test/peers/ (one main.go each, standard library only), built once per
 * source version with Debian's Go 1.19 into the temp directory, so every test file and worker
 * shares one binary.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256File } from './sha256.js';

export const GO = '/usr/lib/go-1.19/bin/go';

/** The path of the built peer `test/peers/<name>/main.go`, building it when its source changed. */
export function goPeer(name: string): string {
  if (!existsSync(GO)) throw new Error(`${GO} is missing: run scripts/install-test-deps.sh (golang-1.19-go)`);
  const source = fileURLToPath(new URL(`../peers/${name}/main.go`, import.meta.url));
  const hash = sha256File(source).slice(0, 16);
  const out = join(tmpdir(), `airsign-${name}-${hash}`);
  if (existsSync(out)) return out;
  const work = mkdtempSync(join(tmpdir(), 'airsign-go-build-'));
  try {
    const dir = join(work, 'src', 'peer');
    mkdirSync(dir, { recursive: true });
    copyFileSync(source, join(dir, 'main.go'));
    execFileSync(GO, ['build', '-o', `${out}.${process.pid}`, '.'], {
      cwd: dir,
      env: { ...process.env, GOPATH: work, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(work, 'cache'), CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(`${out}.${process.pid}`, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
