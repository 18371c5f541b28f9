/**
 * Retries of PKCS#11 steps that fail for a moment and then work. SoftHSM keeps its tokens in files
 * and every process re-reads them; while one process rewrites a token's files, another one starting
 * at that moment sees no such token, or gets CKR_GENERAL_ERROR from C_GetTokenInfo. With many CI
 * jobs signing on one token at once this is common (pkcs11-tool alone fails 20 of 32 that way).
 *
 * Token discovery, token info and session opening are retried, after re-initializing the module so
 * it reads its token store again. A login is retried only for the same store-rewrite answers (SoftHSM
 * answers CKR_GENERAL_ERROR when it cannot read the token's flags, before it looks at the PIN) and
 * only while the token, found again, reports no wrong PIN entered (see findTokenAndLogIn); a wrong
 * PIN (CKR_PIN_INCORRECT) is never retried, so it costs exactly one attempt. Bounded: a few attempts
 * with growing, jittered delays (about 5 s in all, enough for a token store rewritten by a process
 * slowed down on a loaded CI host).
 */
import { isAirsignError } from '../../errors.js';

/** Return codes a module may give for a token store that is being rewritten. */
const TRANSIENT_CKR = new Set(['CKR_GENERAL_ERROR', 'CKR_DEVICE_ERROR', 'CKR_FUNCTION_FAILED', 'CKR_TOKEN_NOT_RECOGNIZED']);

/** One retry, reported to the caller (the CLI prints it with --debug). */
export interface Pkcs11RetryEvent {
  /** What was retried, e.g. "find token". */
  operation: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** The error code and CKR name, e.g. "PKCS11_ERROR CKR_GENERAL_ERROR". */
  reason: string;
}

export interface TransientRetryOptions {
  /** Attempts in all (default 8). */
  attempts?: number;
  /** First delay; each next one doubles (default 40 ms), then ±50% jitter. */
  baseDelayMs?: number;
  /** Called before each wait. */
  onRetry?: (event: Pkcs11RetryEvent) => void;
  /**
   * Runs after the wait, before each new attempt (e.g. re-initialize the module); returning false
   * gives up with the last failure (the step found it unsafe to try again).
   */
  beforeRetry?: () => void | boolean | Promise<void | boolean>;
  /** Which failures to retry (default isTransientPkcs11Failure). */
  isTransient?: (error: unknown) => boolean;
  /** Waits; tests replace it (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * True for failures that a concurrent rewrite of the token store explains. That includes a slot
 * list that kept changing size between the count and the fetch (CKR_BUFFER_TOO_SMALL after the
 * library's own quick re-asks): seen through p11-kit's RPC client, 1 of 8 parallel signs on one
 * SoftHSM token. Anywhere else CKR_BUFFER_TOO_SMALL is a real error and is not retried.
 */
export function isTransientPkcs11Failure(error: unknown): boolean {
  if (!isAirsignError(error)) return false;
  if (error.code === 'PKCS11_TOKEN_NOT_FOUND') return true;
  if (error.code !== 'PKCS11_ERROR' || typeof error.details.ckr !== 'string') return false;
  if (error.details.ckr === 'CKR_BUFFER_TOO_SMALL') return error.details.operation === 'list slots';
  return TRANSIENT_CKR.has(error.details.ckr);
}

/** Runs `step` (sync or async), retrying transient failures (see the file comment); rethrows the last failure. */
export async function withTransientRetry<T>(operation: string, step: () => T | Promise<T>, options: TransientRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const base = options.baseDelayMs ?? 40;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= attempts || !(options.isTransient ?? isTransientPkcs11Failure)(error)) throw error;
      const delayMs = Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random()));
      const { code, details } = error as { code: string; details: Record<string, unknown> };
      const ckr = typeof details.ckr === 'string' ? ` ${details.ckr}` : '';
      options.onRetry?.({ operation, attempt, delayMs, reason: `${code}${ckr}` });
      await sleep(delayMs);
      if ((await options.beforeRetry?.()) === false) throw error;
    }
  }
}
