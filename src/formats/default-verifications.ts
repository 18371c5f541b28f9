/**
 * How `verify` finds and checks the signatures of the formats `sign` offers, in the same order
 * (default-formats.ts): each format's `verification`, listed here without the signing code so a
 * verify loads only what it checks. A test holds this list equal to `defaultFormatRegistry().verifications()`.
 */
import { COSIGN_BUNDLE_VERIFICATION, COSIGN_SIG_VERIFICATION } from './cosign/cosign-verification.js';
import { GPG_VERIFICATION } from './gpg/gpg-verification.js';
import { NOTATION_COSE_VERIFICATION, NOTATION_VERIFICATION } from './notation/notation-verification.js';
import type { FormatVerification } from './signature-verification.js';

/** How verify finds and checks each default format's signatures, in the order default-formats.ts lists the formats. */
export const DEFAULT_VERIFICATIONS: readonly FormatVerification[] = [
  NOTATION_VERIFICATION,
  NOTATION_COSE_VERIFICATION,
  COSIGN_SIG_VERIFICATION,
  COSIGN_BUNDLE_VERIFICATION,
  GPG_VERIFICATION,
];
