/**
 * Where passphrases and PINs come from: an explicit file, environment variables, or a no-echo
 * prompt on the terminal. Secrets are returned to the caller only; they never go into messages,
 * error details or logs.
 */
import { readFile } from 'node:fs/promises';
import { airsignError } from '../errors.js';
import { fsErrorText } from '../fs/fs-error-text.js';
import type { ErrorCode } from '../errors.js';

export interface SecretRequest {
  /** What is asked for, for messages ("passphrase for key.pem", "PIN for token rel"). */
  what: string;
  /** Error code used when no source gives a secret. */
  missingCode: ErrorCode;
  /** Explicit file holding the secret (one trailing newline stripped). */
  file?: string;
  /** Environment variables to try, in order. */
  envNames: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Allow a TTY prompt (default: stdin is a TTY). */
  interactive?: boolean;
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
    throw airsignError('KEY_SECRET_FILE_UNREADABLE', `cannot read the ${what} file ${path}: ${fsErrorText(error)}`, {
      details: { path },
    });
  }
  return text.replace(/\r?\n$/, '');
}

/** Resolves a secret from file, environment or prompt; throws `missingCode` when there is none. */
export async function resolveSecret(request: SecretRequest): Promise<string> {
  if (request.file !== undefined) return readSecretFile(request.file, request.what);
  const env = request.env ?? process.env;
  for (const name of request.envNames) {
    const value = env[name];
    if (value !== undefined && (value !== '' || request.allowEmpty === true)) return value;
  }
  const interactive = request.interactive ?? Boolean(process.stdin.isTTY);
  if (interactive && process.stdin.isTTY) {
    const first = await promptHidden(`Enter ${request.what}: `);
    if (request.confirm === true && (await promptHidden(`Enter ${request.what} again: `)) !== first) {
      throw airsignError('KEY_PASSPHRASE_MISMATCH', 'the two entries differ');
    }
    return first;
  }
  throw airsignError(
    request.missingCode,
    `no ${request.what} given (set ${request.envNames.join(' or ')}, pass a file, or run on a terminal to be prompted)`,
  );
}

/** Prompts on stderr and reads one line from the TTY without echo. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          cleanup();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(airsignError('KEY_PROMPT_CANCELLED', 'cancelled at the prompt'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    // Echo off before the prompt shows, so nothing typed after it is echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.on('data', onData);
  });
}
