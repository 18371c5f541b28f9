/**
 * Checks one cosign signature for `verify` (found by cosign-verification.ts): a `.sig` layer or a
 * v3 bundle referrer. Each format's integrity check gives facts; src/verify/ turns them into
 * verdicts. A requirement holds when at least one signature of its form is valid, as `cosign
 * verify` accepts an image when one verifies.
 */
import { plainDescriptor } from '../../descriptor.js';
import { isAirsignError } from '../../errors.js';
import { parseLayoutJson } from '../../layout/layout-json.js';
import { isJsonObject } from '../../json-object.js';
import { MediaType } from '../../media-types.js';
import { cosignBundleFacts, evaluateCosignBundle } from '../../verify/evaluate-cosign-bundle.js';
import { evaluateSimpleSigningSignature } from '../../verify/evaluate-simple-signing.js';
import { referencesMatch } from '../../verify/reference-match.js';
import { cosignSignatureFacts } from '../../verify/simple-signing-facts.js';
import type { SignatureVerdict } from '../../verify/verdict.js';
import type { SignatureChecker } from '../signature-verification.js';
import type { FoundBundle, FoundSigLayer } from './cosign-verification.js';

/** A bundle blob is at most this large (bundles are a few KiB). */
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024;

/**
 * `.sig` layers checked with the given keys: cosign's checks (the signature over the payload, a
 * simple-signing payload of cosign's type, docker-manifest-digest = the image digest), plus, with
 * --identity, the signed docker-reference's repository (cosign signs the repository, untagged).
 */
export const COSIGN_SIG_CHECKER: SignatureChecker = {
  check(found, context) {
    const layer = found as FoundSigLayer;
    const keys = context.trust.keys ?? [];
    const facts = layer.attachment === undefined
      ? { format: 'cosign' as const, signature: layer.name, integrityFailure: layer.integrityFailure ?? 'unreadable' }
      : cosignSignatureFacts(layer.attachment, layer.name, keys.map((k) => k.key), keys.map((k) => k.name));
    const identity = context.trust.identity;
    const verdict: SignatureVerdict & { payload?: unknown } = evaluateSimpleSigningSignature(
      { format: facts.format, signature: facts.signature, ...(facts.verified ? { verified: facts.verified } : {}), ...(facts.integrityFailure ? { integrityFailure: facts.integrityFailure } : {}) },
      {
        manifest: context.manifest,
        ...(identity === undefined ? {} : {
          image: identity,
          identity: { describe: 'matchRepository (the same repository)', matches: (signed) => referencesMatch('matchRepository', identity, signed) },
        }),
      },
    );
    delete verdict.payload;
    if (identity === undefined) {
      // cosign verify compares the digest only; say that the signed identity was not compared.
      const skipped = verdict.checks.find((c) => c.check === 'identity' && c.result === 'skipped');
      if (skipped !== undefined) verdict.warnings.push(`identity: not compared (no --identity given); ${skipped.reason ?? ''}`.replace(/; $/, ''));
    }
    return Promise.resolve(verdict);
  },
};

/** Bundle referrers checked with the given keys: the DSSE signature, the statement's subject = the image digest. */
export const COSIGN_BUNDLE_CHECKER: SignatureChecker = {
  async check(found, context) {
    const { node } = found as FoundBundle;
    const keys = context.trust.keys ?? [];
    const digest = node.descriptor.digest;
    const identity = context.trust.identity;
    const requirement = { targetDigest: context.target.digest, ...(identity === undefined ? {} : { identity: identity.text }) };
    let bytes: Uint8Array;
    try {
      const manifest = parseLayoutJson(await context.layout.readBlob(plainDescriptor(node.descriptor)), `bundle referrer ${digest}`);
      const layers: unknown[] = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
      const layer = layers.find((l) => isJsonObject(l) && l.mediaType === MediaType.SigstoreBundleV03);
      if (!isJsonObject(layer) || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
        return evaluateCosignBundle({ signature: digest, integrityFailure: `the referrer ${digest} has no ${MediaType.SigstoreBundleV03} layer` }, requirement);
      }
      bytes = await context.layout.readBlob({ mediaType: MediaType.SigstoreBundleV03, digest: layer.digest, size: layer.size }, MAX_SIGNATURE_BLOB);
    } catch (e) {
      if (!isAirsignError(e)) throw e;
      return evaluateCosignBundle({ signature: digest, integrityFailure: e.message }, requirement);
    }
    return evaluateCosignBundle(cosignBundleFacts(bytes, digest, keys.map((k) => k.key), keys.map((k) => k.name)), requirement);
  },
};
