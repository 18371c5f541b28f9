/**
 * What a key spec (the `--key` text) is, without loading any key code: a `pkcs11:` URI or a file
 * path, a mistyped URI refused before it could be printed, and the warnings about how it is given.
 * Commands that only look at a spec (the CLI's warnings, verify) use this, not open-key.ts.
 */
import { airsignError } from '../errors.js';

/** True when `spec` is a PKCS#11 URI rather than a file path. */
export function isPkcs11Spec(spec: string): boolean {
  return /^pkcs11:/i.test(spec);
}

/**
 * Refuses a key spec that is meant as a PKCS#11 URI but is not one (`pkcs11;…`, ` pkcs11:…`,
 * `pkcs:…`, or any text with `pin-value=`): taken for a file path it would be printed whole, PIN
 * included, in "no such file" messages. The spec is never quoted.
 */
export function assertNotMistypedPkcs11Uri(spec: string): void {
  if (isPkcs11Spec(spec)) return;
  const trimmed = spec.trimStart();
  if (/^pkcs\s*1?1?\s*[:;,]/i.test(trimmed) || /^pkcs11:/i.test(trimmed) || /pin-(value|source)\s*=/i.test(spec)) {
    throw airsignError('PKCS11_URI_INVALID',
      'the key looks like a PKCS#11 URI but does not start with exactly "pkcs11:" (check for a typo or a leading space); it is not shown because it may hold a PIN');
  }
}

/**
 * Warnings about how a key spec is given, for the caller to show (the library never prints): a PIN
 * inline in the URI (`pin-value=`) is visible to other users in the process list.
 */
export function keySpecWarnings(spec: string): string[] {
  if (isPkcs11Spec(spec) && /[:;&?]\s*pin-value\s*=/i.test(spec)) {
    return ['the PIN is given inline (pin-value=) on the command line, where other users can see it (ps); use pin-source=file:…, --pin-file or AIRSIGN_PKCS11_PIN'];
  }
  return [];
}
