/** Checks shared by the sign pipeline tests: file hashes, leftovers, blobs out of a tar, the Python verifier. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand } from './cli.js';
import { sha256Hex } from './sha256.js';

export const VERIFY_NOTATION_PY = fileURLToPath(new URL('../peers/verify_notation.py', import.meta.url));

/** Names in a directory (for "no temp file left behind"). */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** A blob's bytes from a layout tar (GNU tar as the peer) or directory. */
export function readLayoutBlob(source: string, digest: string): Buffer {
  const [alg, hex] = digest.split(':') as [string, string];
  if (statSync(source).isDirectory()) return readFileSync(join(source, 'blobs', alg, hex));
  return execFileSync('tar', ['-xOf', source, `blobs/${alg}/${hex}`], { maxBuffer: 64 * 1024 * 1024 });
}

export function readLayoutIndex(source: string): { manifests: Array<Record<string, unknown> & { digest: string; annotations?: Record<string, string> }> } {
  const bytes = statSync(source).isDirectory() ? readFileSync(join(source, 'index.json')) : execFileSync('tar', ['-xOf', source, 'index.json']);
  return JSON.parse(bytes.toString('utf8')) as never;
}

/** Runs the independent Python verifier on one envelope; returns its stdout line, throws with its output on failure. */
export function verifyWithPython(envelope: Uint8Array, options: { root: string; descriptor?: unknown; alg?: string; dir: string }): string {
  const path = join(options.dir, `envelope-${sha256Hex(envelope).slice(0, 12)}`);
  writeFileSync(path, envelope);
  const args = [VERIFY_NOTATION_PY, '--root', options.root];
  if (options.descriptor !== undefined) args.push('--expect-descriptor', JSON.stringify(options.descriptor));
  if (options.alg !== undefined) args.push('--expect-alg', options.alg);
  args.push(path);
  const result = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`verify_notation.py failed: ${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}

/** Runs the CLI under test like runCli, but kills it after `timeoutMs` (a hang becomes exit -1). */
export function runCliTimed(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number }): { code: number; stdout: string; stderr: string } {
  const result = spawnSync(...cliCommand(args), {
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
