/**
 * Maps pkcs11js failures (messages like "CKR_PIN_INCORRECT:160") to AirsignErrors with stable codes.
 * We write our own one-line message and never echo the native message, so nothing secret leaks.
 */
import { AirsignError, airsignError } from '../../errors.js';

export interface Pkcs11ErrorContext {
  /** What we were doing, e.g. "login", "sign", "open session". */
  operation: string;
  /** Token label, for messages (not secret). */
  token?: string;
  /** Key description, for messages (not secret). */
  key?: string;
}

/** The CKR_* name inside a pkcs11js error, if any. */
export function ckrName(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return /\b(CKR_[A-Z0-9_]+)/.exec(message)?.[1];
}

export function pkcs11Error(error: unknown, context: Pkcs11ErrorContext): AirsignError {
  if (error instanceof AirsignError) return error;
  const ckr = ckrName(error);
  const onToken = context.token === undefined ? '' : ` on token "${context.token}"`;
  const forKey = context.key === undefined ? '' : ` with ${context.key}`;
  const details: Record<string, unknown> = { ckr: ckr ?? null, operation: context.operation };
  if (context.token !== undefined) details.token = context.token;
  const options = { cause: error, details };
  switch (ckr) {
    case 'CKR_PIN_INCORRECT':
      return airsignError('PKCS11_PIN_INCORRECT', `wrong PIN${onToken} (CKR_PIN_INCORRECT); repeated failures may lock the token`, options);
    case 'CKR_PIN_LOCKED':
      return airsignError('PKCS11_PIN_LOCKED', `the user PIN${onToken} is locked (CKR_PIN_LOCKED); the security officer must unlock it`, options);
    case 'CKR_PIN_LEN_RANGE':
    case 'CKR_PIN_INVALID':
      return airsignError('PKCS11_PIN_INVALID', `the PIN${onToken} has an invalid length or characters (${ckr})`, options);
    case 'CKR_PIN_EXPIRED':
      return airsignError('PKCS11_PIN_EXPIRED', `the PIN${onToken} has expired (CKR_PIN_EXPIRED)`, options);
    case 'CKR_MECHANISM_INVALID':
    case 'CKR_MECHANISM_PARAM_INVALID':
    case 'CKR_KEY_TYPE_INCONSISTENT':
      return airsignError('PKCS11_MECHANISM_UNSUPPORTED', `the token${onToken} does not support this signing mechanism${forKey} (${ckr})`, options);
    case 'CKR_KEY_FUNCTION_NOT_PERMITTED':
      return airsignError('PKCS11_KEY_NOT_PERMITTED', `the key${forKey.replace(' with', '')} may not sign (CKA_SIGN is false)`, options);
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_SLOT_ID_INVALID':
      return airsignError('PKCS11_TOKEN_NOT_FOUND', `the token${onToken} is not present (${ckr})`, options);
    case 'CKR_USER_NOT_LOGGED_IN':
      return airsignError('PKCS11_NOT_LOGGED_IN', `not logged in${onToken} (CKR_USER_NOT_LOGGED_IN)`, options);
    case 'CKR_TOKEN_WRITE_PROTECTED':
      return airsignError('PKCS11_TOKEN_READ_ONLY', `the token${onToken} is write-protected`, options);
    default:
      return airsignError('PKCS11_ERROR', `PKCS#11 ${context.operation} failed${onToken}: ${ckr ?? 'unexpected error from the module'}`, options);
  }
}
