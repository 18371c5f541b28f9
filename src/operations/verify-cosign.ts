/**
 * `verify`'s cosign part, inside a layout: reads the tag-based `.sig` signatures (each layer of a
 * `sha256-<hex>.sig` manifest is one: media type, payload blob, annotations) and the v3 bundle
 * referrers of the target, runs each format's integrity check for facts, and lets src/verify/ turn
 * them into verdicts. A requirement holds when at least one signature of its form is valid, as
 * `cosign verify` accepts an image when one signature verifies.
 */
import { plainDescriptor, type PlainDescriptor } from '../descriptor.js';
import { isAirsignError } from '../errors.js';
import type { SigstoreAttachment } from '../formats/cosign/verify-sigstore-attachment.js';
import type { DockerReference } from '../formats/docker-reference.js';
import type { GraphNode } from '../layout/graph.js';
import { parseLayoutJson } from '../layout/layout-json.js';
import { isJsonObject } from '../json-object.js';
import type { Layout } from '../layout/open-layout.js';
import { MediaType } from '../media-types.js';
import type { VerificationKey } from '../keys/read-verification-keys.js';
import { cosignBundleFacts, evaluateCosignBundle } from '../verify/evaluate-cosign-bundle.js';
import { evaluateSimpleSigningSignature } from '../verify/evaluate-simple-signing.js';
import { referencesMatch } from '../verify/reference-match.js';
import { cosignSignatureFacts } from '../verify/simple-signing-facts.js';
import type { SignatureVerdict } from '../verify/verdict.js';

/** A signature or attachment blob is at most this large (payloads and bundles are a few KiB). */
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024;
/** At most this many layers of one `.sig` manifest are read. */
const MAX_SIG_LAYERS = 100;

/** One `.sig` layer, read: the attachment, or why it could not be read. */
export interface CosignSigLayerRead {
  /** `<manifest digest> layer <n>`. */
  name: string;
  attachment?: SigstoreAttachment;
  integrityFailure?: string;
}

/** Every layer of the `.sig` manifests in `nodes` (each blob's digest and size checked). */
export async function readCosignSigLayers(layout: Layout, nodes: GraphNode[]): Promise<CosignSigLayerRead[]> {
  const out: CosignSigLayerRead[] = [];
  for (const node of nodes) {
    const digest = node.descriptor.digest;
    let layers: unknown[];
    try {
      const manifest = parseLayoutJson(await layout.readBlob(plainDescriptor(node.descriptor)), `signature manifest ${digest}`);
      layers = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    } catch (e) {
      if (!isAirsignError(e)) throw e;
      out.push({ name: digest, integrityFailure: e.message });
      continue;
    }
    if (layers.length === 0) out.push({ name: digest, integrityFailure: `the signature manifest ${digest} has no layers` });
    for (const [i, layer] of layers.slice(0, MAX_SIG_LAYERS).entries()) {
      const name = `${digest} layer ${i + 1}`;
      if (!isJsonObject(layer) || typeof layer.mediaType !== 'string' || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
        out.push({ name, integrityFailure: `layer ${i + 1} of ${digest} is not a descriptor` });
        continue;
      }
      const annotations = isJsonObject(layer.annotations) ? layer.annotations : {};
      if (Object.values(annotations).some((v) => typeof v !== 'string')) {
        out.push({ name, integrityFailure: `layer ${i + 1} of ${digest} has annotations that are not strings` });
        continue;
      }
      try {
        const payload = await layout.readBlob({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, MAX_SIGNATURE_BLOB);
        out.push({ name, attachment: { mimeType: layer.mediaType, payload, annotations: annotations as Record<string, string> } });
      } catch (e) {
        if (!isAirsignError(e)) throw e;
        out.push({ name, integrityFailure: `the payload of layer ${i + 1} cannot be read: ${e.message}` });
      }
    }
  }
  return out;
}

export interface CosignCheck {
  /** The image manifest's raw bytes (its digest is the target's). */
  manifest: Uint8Array;
  target: PlainDescriptor;
  keys: VerificationKey[];
  /** --identity: the signed docker-reference must name this repository. */
  identity?: DockerReference;
}

/**
 * Verdicts for `.sig` layers with the given keys: cosign's checks (the signature over the payload,
 * a simple-signing payload of cosign's type, docker-manifest-digest = the image digest), plus, with
 * --identity, the signed docker-reference's repository (cosign signs the repository, untagged).
 */
export function cosignSigVerdicts(layers: CosignSigLayerRead[], check: CosignCheck): SignatureVerdict[] {
  const keyObjects = check.keys.map((k) => k.key);
  const names = check.keys.map((k) => k.name);
  return layers.map((layer) => {
    const facts = layer.attachment === undefined
      ? { format: 'cosign' as const, signature: layer.name, integrityFailure: layer.integrityFailure ?? 'unreadable' }
      : cosignSignatureFacts(layer.attachment, layer.name, keyObjects, names);
    const identity = check.identity;
    const verdict: SignatureVerdict & { payload?: unknown; attachment?: unknown; key?: unknown } = evaluateSimpleSigningSignature(
      { format: facts.format, signature: facts.signature, ...(facts.verified ? { verified: facts.verified } : {}), ...(facts.integrityFailure ? { integrityFailure: facts.integrityFailure } : {}) },
      {
        manifest: check.manifest,
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
    return verdict;
  });
}

/** Verdicts for bundle referrers: the DSSE signature with the given keys, the statement's subject = the image digest. */
export async function cosignBundleVerdicts(layout: Layout, nodes: GraphNode[], check: Omit<CosignCheck, 'manifest'>): Promise<SignatureVerdict[]> {
  const keyObjects = check.keys.map((k) => k.key);
  const names = check.keys.map((k) => k.name);
  const verdicts: SignatureVerdict[] = [];
  for (const node of nodes) {
    const digest = node.descriptor.digest;
    const requirement = { targetDigest: check.target.digest, ...(check.identity === undefined ? {} : { identity: check.identity.text }) };
    let bytes: Uint8Array;
    try {
      const manifest = parseLayoutJson(await layout.readBlob(plainDescriptor(node.descriptor)), `bundle referrer ${digest}`);
      const layers: unknown[] = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
      const layer = layers.find((l) => isJsonObject(l) && l.mediaType === MediaType.SigstoreBundleV03);
      if (!isJsonObject(layer) || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
        verdicts.push(evaluateCosignBundle({ signature: digest, integrityFailure: `the referrer ${digest} has no ${MediaType.SigstoreBundleV03} layer` }, requirement));
        continue;
      }
      bytes = await layout.readBlob({ mediaType: MediaType.SigstoreBundleV03, digest: layer.digest, size: layer.size }, MAX_SIGNATURE_BLOB);
    } catch (e) {
      if (!isAirsignError(e)) throw e;
      verdicts.push(evaluateCosignBundle({ signature: digest, integrityFailure: e.message }, requirement));
      continue;
    }
    verdicts.push(evaluateCosignBundle(cosignBundleFacts(bytes, digest, keyObjects, names), requirement));
  }
  return verdicts;
}
