/**
 * One error type for the whole library. Every failure a user can cause carries a stable `code`
 * (for tests and scripts) and a `kind` that decides the CLI exit code. The library never prints
 * and never exits; the CLI maps `kind` to an exit code in one table (src/cli/exit-codes.ts).
 */

/** What sort of failure this is; decides the exit code. */
export type ErrorKind =
  /** A signature or digest check said no (exit 1). */
  | 'verification'
  /** Bad command line or bad input data: tarballs, layouts, files, options (exit 2). */
  | 'input'
  /** Key, certificate, passphrase or HSM problem (exit 3). */
  | 'key'
  /** A bug or an environment failure we did not anticipate (exit 70). */
  | 'internal';

export interface AirsignErrorOptions {
  cause?: unknown;
  /** Structured facts for `--json` output and tests (never secrets). */
  details?: Record<string, unknown>;
}

export class AirsignError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(kind: ErrorKind, code: string, message: string, options: AirsignErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirsignError';
    this.kind = kind;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Bad input: tarball, layout, file or option problems (exit 2). */
export function inputError(code: string, message: string, options?: AirsignErrorOptions): AirsignError {
  return new AirsignError('input', code, message, options);
}

/** Key / HSM / certificate problems (exit 3). */
export function keyError(code: string, message: string, options?: AirsignErrorOptions): AirsignError {
  return new AirsignError('key', code, message, options);
}

/** A verification said no (exit 1). */
export function verificationError(code: string, message: string, options?: AirsignErrorOptions): AirsignError {
  return new AirsignError('verification', code, message, options);
}

/** Something that should not happen (exit 70). */
export function internalError(code: string, message: string, options?: AirsignErrorOptions): AirsignError {
  return new AirsignError('internal', code, message, options);
}

export function isAirsignError(value: unknown): value is AirsignError {
  return value instanceof AirsignError;
}
