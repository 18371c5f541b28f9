/**
 * Maps PKCS#11 failures (Pkcs11CallError: a function and its CKR_*) to AirsignErrors with stable
 * codes. We write our own one-line message and never echo a native message, so nothing secret leaks.
 */
import { airsignError, isAirsignError, type AirsignError } from '../../errors.js';
import { mechanismName } from './pkcs11-constants.js';
import { Pkcs11CallError } from './pkcs11-ffi.js';

export interface Pkcs11ErrorContext {
  /** What we were doing, e.g. "login", "sign", "open session". */
  operation: string;
  /** Token label, for messages (not secret). */
  token?: string;
  /** Key description, for messages (not secret). */
  key?: string;
  /** The mechanism asked for (C_SignInit, C_Sign), named in the message. */
  mechanism?: number;
  /** The module's path, named in signing messages. */
  modulePath?: string;
}

/** The CKR_* name of a PKCS#11 call's failure; undefined for any other error (its message is never read). */
export function ckrName(error: unknown): string | undefined {
  return error instanceof Pkcs11CallError ? error.ckr : undefined;
}

export function pkcs11Error(error: unknown, context: Pkcs11ErrorContext): AirsignError {
  if (isAirsignError(error)) return error;
  const ckr = ckrName(error);
  const onToken = context.token === undefined ? '' : ` on token "${context.token}"`;
  const theToken = context.token === undefined ? 'the token' : `token "${context.token}"`;
  const forKey = context.key === undefined ? '' : ` with ${context.key}`;
  const mechanism = context.mechanism === undefined ? undefined : mechanismName(context.mechanism);
  const where = [context.modulePath === undefined ? undefined : `module ${context.modulePath}`, mechanism].filter(Boolean).join(', ');
  const whereText = where === '' ? '' : ` (${where})`;
  const details = {
    ckr: ckr ?? null,
    operation: context.operation,
    ...(context.token === undefined ? {} : { token: context.token }),
    ...(mechanism === undefined ? {} : { mechanism }),
    ...(context.modulePath === undefined ? {} : { modulePath: context.modulePath }),
  };
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
      return airsignError('PKCS11_MECHANISM_UNSUPPORTED', `${theToken}${whereText} refused ${mechanism ?? 'the signing mechanism'}${forKey} (${ckr})`, options);
    case 'CKR_KEY_FUNCTION_NOT_PERMITTED':
      return airsignError('PKCS11_KEY_NOT_PERMITTED', `the key${forKey.replace(' with', '')} may not sign (CKA_SIGN is false)`, options);
    case 'CKR_TOKEN_NOT_PRESENT':
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_SLOT_ID_INVALID':
      return airsignError('PKCS11_TOKEN_NOT_FOUND', `${theToken} is not present (${ckr})`, options);
    case 'CKR_USER_NOT_LOGGED_IN':
      return airsignError('PKCS11_NOT_LOGGED_IN', `not logged in${onToken} (CKR_USER_NOT_LOGGED_IN)`, options);
    case 'CKR_TOKEN_WRITE_PROTECTED':
      return airsignError('PKCS11_TOKEN_READ_ONLY', `${theToken} is write-protected`, options);
    default:
      return airsignError('PKCS11_ERROR', `PKCS#11 ${context.operation} failed${onToken}${whereText}: ${ckr ?? 'unexpected error from the module'}`, options);
  }
}
