/** Runs the built CLI (bin/airsign.js) as a user would, capturing stdout, stderr and exit code. */
import { spawnSync } from 'node:child_process';
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
