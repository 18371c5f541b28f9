/**
 * Where passphrases and PINs come from: an explicit file, environment variables the caller passes
 * in, or a prompt the caller passes in (the CLI's no-echo terminal prompt). The library reads no
 * process.env and never prompts by itself. Secrets are returned to the caller only; they never go
 * into messages, error details or logs.
 */
import { readFile } from 'node:fs/promises';
import { airsignError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** Asks the user for a secret (without echo) and returns it; the CLI passes its terminal prompt. */
export type PromptSecret = (prompt: string) => Promise<string>;

/** Where a key operation may look for secrets besides explicit files. Both default to none. */
export interface SecretSources {
  /** Environment for AIRSIGN_* / COSIGN_* lookups (default: none; the CLI passes process.env). */
  env?: NodeJS.ProcessEnv;
  /** Asked when no file or variable gives the secret (default: none, and the call fails instead). */
  promptSecret?: PromptSecret;
}

export interface SecretRequest extends SecretSources {
  /** What is asked for, for messages ("passphrase for key.pem", "PIN for token rel"). */
  what: string;
  /** Error code used when no source gives a secret. */
  missingCode: ErrorCode;
  /** Explicit file holding the secret (one trailing newline stripped). */
  file?: string;
  /** Environment variables to try, in order. */
  envNames: readonly string[];
  /** Accept a set-but-empty environment variable (cosign allows empty key passwords). */
  allowEmpty?: boolean;
  /** Ask twice on the TTY and require the same answer (for new passwords). */
  confirm?: boolean;
}

/** Reads a secret file and strips one trailing line break. */
export async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw airsignError('KEY_SECRET_FILE_UNREADABLE', `cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      details: { path },
    });
  }
  return text.replace(/\r?\n$/, '');
}

/** Resolves a secret from file, `env` or `promptSecret`; throws `missingCode` when there is none. */
export async function resolveSecret(request: SecretRequest): Promise<string> {
  if (request.file !== undefined) return readSecretFile(request.file, request.what);
  const env = request.env ?? {};
  for (const name of request.envNames) {
    const value = env[name];
    if (value !== undefined && (value !== '' || request.allowEmpty === true)) return value;
  }
  const prompt = request.promptSecret;
  if (prompt !== undefined) {
    const first = await prompt(`Enter ${request.what}: `);
    if (request.confirm === true && (await prompt(`Enter ${request.what} again: `)) !== first) {
      throw airsignError('KEY_PASSPHRASE_MISMATCH', 'the two entries differ');
    }
    return first;
  }
  throw airsignError(
    request.missingCode,
    `no ${request.what} given (set ${request.envNames.join(' or ')}, pass a file, or run on a terminal to be prompted)`,
  );
}
