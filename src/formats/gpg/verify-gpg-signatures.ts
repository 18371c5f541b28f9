/**
 * Checks one GPG simple signature for `verify` (a lookaside `signature-N` file found by
 * gpg-verification.ts), an OpenPGP message whose integrity check
 * gives facts (src/verify/simple-signing-facts.ts) and src/verify/evaluate-simple-signing.ts a
 * verdict: any key of the keyring, the manifest digest, and matchRepoDigestOrExact on the identity.
 */
import { evaluateSimpleSigningSignature } from '../../verify/evaluate-simple-signing.js';
import { imageReference, referencesMatch } from '../../verify/reference-match.js';
import { gpgSignatureFacts } from '../../verify/simple-signing-facts.js';
import type { SignatureVerdict } from '../../verify/verdict.js';
import type { SignatureChecker } from '../signature-verification.js';
import type { FoundFile } from './gpg-verification.js';

export const GPG_CHECKER: SignatureChecker = {
  check(found, context) {
    const file = found as FoundFile;
    const keyring = context.trust.keyring ?? [];
    const image = imageReference(context.trust.identity!, context.target);
    const verdict: SignatureVerdict & { payload?: unknown } = evaluateSimpleSigningSignature(gpgSignatureFacts(file.bytes, file.name, keyring, context.trust.now), {
      manifest: context.manifest,
      image,
      identity: { describe: 'matchRepoDigestOrExact', matches: (signed) => referencesMatch('matchRepoDigestOrExact', image, signed) },
      acceptedSigners: keyring.map((k) => k.primary.fingerprint),
    });
    delete verdict.payload;
    return Promise.resolve(verdict);
  },
};
