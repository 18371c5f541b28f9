/**
 * Where passphrases and PINs come from: an explicit file, environment variables the caller passes
 * in, or a prompt the caller passes in (the CLI's no-echo terminal prompt). The library reads no
 * process.env and never prompts by itself. Secrets are returned to the caller only; they never go
 * into messages, error details or logs.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { airsignError, isAirsignError } from '../errors.js';
import { fsErrorText } from '../fs/fs-error-text.js';
import type { ErrorCode } from '../errors.js';

/** Asks the user for a secret (without echo) and returns it; the CLI passes its terminal prompt. */
export type PromptSecret = (prompt: string) => Promise<string>;

/** Where a key operation may look for secrets besides explicit files, and how files are read. */
export interface SecretSources {
  /**
   * Spaces or tabs at the end of a PIN/passphrase file are part of the secret. Default: such a
   * file is refused before any login (cmd's `echo 1234 > pin.txt` writes "1234 "), since every
   * wrong PIN costs a token retry.
   */
  trailingSpaceIsSecret?: boolean;
  /** Environment for AIRSIGN_* / COSIGN_* lookups (default: none; the CLI passes process.env). */
  env?: NodeJS.ProcessEnv;
  /** Asked when no file or variable gives the secret (default: none, and the call fails instead). */
  promptSecret?: PromptSecret;
  /** Ends a secret file read that waits (a FIFO nobody writes yet) with the signal's reason. */
  signal?: AbortSignal;
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

/** The SecretSources fields of `options` that are set (for passing them on without undefined values). */
export function secretSourcesOf(options: SecretSources): SecretSources {
  return {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.promptSecret === undefined ? {} : { promptSecret: options.promptSecret }),
    ...(options.trailingSpaceIsSecret === undefined ? {} : { trailingSpaceIsSecret: options.trailingSpaceIsSecret }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

/** How readSecretFile reads: see {@link SecretSources.trailingSpaceIsSecret}. */
export interface SecretFileOptions {
  trailingSpaceIsSecret?: boolean;
  /** Ends a read that waits (a FIFO nobody writes yet, a terminal) with the signal's reason. */
  signal?: AbortSignal;
}

/** The largest secret file read: a PIN or passphrase is a line, not a file of any size. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;
/** How often a FIFO or terminal without data is asked again. */
const WAIT_POLL_MS = 25;

/**
 * Reads a secret file, bounded: a regular file of at most MAX_SECRET_FILE_BYTES, or a FIFO or
 * terminal named explicitly (read up to its end, or for a terminal its first line, within the same
 * bound); anything else (`/dev/zero`, a directory) is refused before a byte is read. A FIFO or
 * terminal is opened and read without blocking, so a read that waits for a writer never holds a
 * thread: the process can always end on a signal, and `signal` ends the wait.
 */
async function readBoundedSecret(path: string, what: string, signal?: AbortSignal): Promise<Uint8Array> {
  const fail = (why: string, cause?: unknown) =>
    airsignError('KEY_SECRET_FILE_UNREADABLE', `cannot read the ${what} file ${path}: ${why}`, { details: { path }, ...(cause === undefined ? {} : { cause }) });
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw fail(fsErrorText(error), error);
  }
  try {
    const info = await handle.stat();
    // node:tty only for a character device: loading it (with net and assert) costs every run ~15 ms.
    const terminal = info.isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(handle.fd);
    if (!info.isFile() && !info.isFIFO() && !terminal) throw fail('not a regular file, FIFO or terminal');
    if (info.isFile() && info.size > MAX_SECRET_FILE_BYTES) throw fail(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    let done = 0;
    for (;;) {
      signal?.throwIfAborted();
      let n: number;
      try {
        n = (await handle.read(buffer, done, buffer.length - done, info.isFile() ? done : null)).bytesRead;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw fail(fsErrorText(error), error);
        n = -1; // a FIFO or terminal with nothing to read yet
      }
      if (n > 0) {
        done += n;
        if (done > MAX_SECRET_FILE_BYTES) throw fail(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
        if (terminal && buffer.subarray(0, done).includes(0x0a)) break;
        continue;
      }
      // End of file; but a FIFO no writer has opened yet also reads as empty: wait for one.
      if (n === 0 && (info.isFile() || done > 0)) break;
      await waitOrAbort(WAIT_POLL_MS, signal);
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
  } catch (error) {
    if (isAirsignError(error) || (error as Error)?.name === 'AbortError') throw error;
    throw fail(fsErrorText(error), error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function waitOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Reads a secret file as Windows editors and shells write them too: a UTF-8 byte-order mark
 * (Notepad) is dropped, UTF-16 LE/BE with a byte-order mark (PowerShell 5.1 `>`) is decoded, one
 * trailing line break (LF or CRLF) is stripped. Refused, so that no wrong secret reaches a token:
 * bytes that are not UTF-8, a NUL (UTF-16 without a byte-order mark), and trailing spaces or tabs
 * unless `trailingSpaceIsSecret`; and, before reading, anything but a regular file of at most
 * 64 KiB, a FIFO or a terminal (see readBoundedSecret). Messages never quote the secret.
 */
export async function readSecretFile(path: string, what: string, options: SecretFileOptions = {}): Promise<string> {
  const bytes = await readBoundedSecret(path, what, options.signal);
  return decodeSecretFile(bytes, `the ${what} file ${path}`, path, options);
}

/** The secret in a file's bytes (see readSecretFile); `name` is used in messages. */
function decodeSecretFile(bytes: Uint8Array, name: string, path: string, options: SecretFileOptions = {}): string {
  const [encoding, skip] = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? ['utf-8', 3] as const
    : bytes[0] === 0xff && bytes[1] === 0xfe ? ['utf-16le', 2] as const
      : bytes[0] === 0xfe && bytes[1] === 0xff ? ['utf-16be', 2] as const
        : ['utf-8', 0] as const;
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(skip));
  } catch {
    throw airsignError('KEY_SECRET_FILE_ENCODING', `${name} is not ${encoding === 'utf-8' ? 'UTF-8' : encoding.toUpperCase()} text (save it as UTF-8)`, { details: { path } });
  }
  if (text.includes('\0')) {
    throw airsignError('KEY_SECRET_FILE_ENCODING', `${name} holds NUL characters (UTF-16 without a byte-order mark?); save it as UTF-8`, { details: { path } });
  }
  const secret = text.replace(/\r?\n$/, '');
  if (options.trailingSpaceIsSecret !== true && /\s$/u.test(secret)) {
    throw airsignError('KEY_SECRET_FILE_TRAILING_SPACE',
      `${name} ends in a space, tab or extra line break (cmd's "echo <secret> > file" adds a space): remove it, or pass options.trailingSpaceIsSecret if it belongs to the secret`,
      { details: { path } });
  }
  return secret;
}

/** Resolves a secret from file, `env` or `promptSecret`; throws `missingCode` when there is none. */
export async function resolveSecret(request: SecretRequest): Promise<string> {
  if (request.file !== undefined) {
    return readSecretFile(request.file, request.what, {
      ...(request.trailingSpaceIsSecret === true ? { trailingSpaceIsSecret: true } : {}),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  }
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
