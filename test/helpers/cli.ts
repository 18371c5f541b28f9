/** Runs the built CLI (bin/airsign.js) as a user would, capturing stdout, stderr and exit code. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const AIRSIGN_BIN = fileURLToPath(new URL('../../bin/airsign.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [AIRSIGN_BIN, ...args], {
    env: options.env ?? process.env,
    input: options.input,
    cwd: options.cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

let running = 0;
const waiting: Array<() => void> = [];

/**
 * runCli without blocking the event loop, at most `limit` at once across the calling file (so
 * `it.concurrent` cases overlap their process start-up without flooding a 2-core machine).
 */
export async function runCliAsync(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; limit?: number } = {}): Promise<CliResult> {
  const limit = options.limit ?? 3;
  while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [AIRSIGN_BIN, ...args], { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}
