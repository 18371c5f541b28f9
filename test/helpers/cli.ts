/**
 * Runs the CLI as a user would, capturing stdout, stderr and exit code: the built bin/airsign.js
 * under this Node, or, when AIRSIGN_TEST_CLI_EXECUTABLE names one, that executable (a single-file
 * release binary; scripts/test-ci.sh runs the CLI test files a second time that way).
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AIRSIGN_BIN = fileURLToPath(new URL('../../bin/airsign.js', import.meta.url));

const executable = process.env['AIRSIGN_TEST_CLI_EXECUTABLE'];
/** The release executable the CLI tests run instead of bin/airsign.js, or undefined. */
export const AIRSIGN_TEST_EXECUTABLE = executable === undefined || executable === '' ? undefined : resolve(executable);

/** The program and arguments that run the CLI under test with `args`. */
export function cliCommand(args: string[]): [string, string[]] {
  return AIRSIGN_TEST_EXECUTABLE === undefined ? [process.execPath, [AIRSIGN_BIN, ...args]] : [AIRSIGN_TEST_EXECUTABLE, args];
}

/** The CLI under test as the start of a shell command line (each word double-quoted). */
export function cliShellWords(): string {
  const [program, args] = cliCommand([]);
  return [program, ...args].map((word) => `"${word}"`).join(' ');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}): CliResult {
  const [program, argv] = cliCommand(args);
  const result = spawnSync(program, argv, {
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
      const [program, argv] = cliCommand(args);
      const child = spawn(program, argv, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
