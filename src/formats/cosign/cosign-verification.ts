/**
 * How `verify` finds and checks cosign signatures (the verify side of the cosign and cosign-bundle
 * formats): `.sig` signatures (each layer of a `sha256-<hex>.sig` manifest, or of a referrer of
 * cosign's simple-signing type, is one: media type, payload blob, annotations) and v3 bundle
 * referrers, checked with the public keys given; `.sig` alternatively judged by a containers
 * policy.json's sigstoreSigned. The checkers (verify-cosign-signatures.ts) load on use.
 */
import { plainDescriptor } from '../../descriptor.js';
import { isAirsignError } from '../../errors.js';
import type { GraphNode } from '../../layout/graph.js';
import { parseLayoutJson } from '../../layout/layout-json.js';
import { isJsonObject } from '../../json-object.js';
import type { Layout } from '../../layout/open-layout.js';
import { MediaType } from '../../media-types.js';
import type { FormatVerification, FoundSignature, SearchPlace, SignatureSearch } from '../signature-verification.js';
import type { SigstoreAttachment } from './verify-sigstore-attachment.js';

/** A signature or attachment blob is at most this large (payloads and bundles are a few KiB). */
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024;
/** At most this many layers of one `.sig` manifest are read. */
const MAX_SIG_LAYERS = 100;
/** At most this many signature manifests of one form are read per target. */
const MAX_SIGNATURES = 100;

/** One `.sig` layer, read: the attachment, or why it could not be read. */
export interface FoundSigLayer extends FoundSignature {
  /** `<manifest digest> layer <n>`, or the manifest digest when it could not be read. */
  name: string;
  attachment?: SigstoreAttachment;
  integrityFailure?: string;
}

export interface FoundBundle extends FoundSignature {
  node: GraphNode;
}

/** A referrer of cosign's simple-signing type: its artifact type says so, or every layer is a simple-signing payload. */
function isSimpleSigningReferrer(node: GraphNode): boolean {
  if (node.artifactType === MediaType.CosignSimpleSigning) return true;
  const layers = node.childEdges.filter((e) => e.role !== 'config');
  return layers.length > 0 && layers.every((e) => e.descriptor.mediaType === MediaType.CosignSimpleSigning);
}

/** The `.sig` manifests of the target: simple-signing referrers, then the `sha256-<hex>.sig` tag. */
function sigManifests(search: SignatureSearch): GraphNode[] {
  const nodes = search.referrers.filter(isSimpleSigningReferrer);
  for (const tag of search.graph.cosignTags) {
    const node = search.graph.nodes.get(tag.digest);
    if (tag.kind === 'sig' && tag.subjectDigest === search.target.digest && node !== undefined && !nodes.includes(node)) nodes.push(node);
  }
  return nodes.slice(0, MAX_SIGNATURES);
}

/** Every layer of the `.sig` manifests in `nodes` (each blob's digest and size checked). */
async function readCosignSigLayers(layout: Layout, nodes: GraphNode[]): Promise<FoundSigLayer[]> {
  const out: FoundSigLayer[] = [];
  const found = (name: string, read: { attachment: SigstoreAttachment } | { integrityFailure: string }): FoundSigLayer => ({ format: 'cosign', name, ...read });
  for (const node of nodes) {
    const digest = node.descriptor.digest;
    let layers: unknown[];
    try {
      const manifest = parseLayoutJson(await layout.readBlob(plainDescriptor(node.descriptor)), `signature manifest ${digest}`);
      layers = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    } catch (e) {
      if (!isAirsignError(e)) throw e;
      out.push(found(digest, { integrityFailure: e.message }));
      continue;
    }
    if (layers.length === 0) out.push(found(digest, { integrityFailure: `the signature manifest ${digest} has no layers` }));
    for (const [i, layer] of layers.slice(0, MAX_SIG_LAYERS).entries()) {
      const name = `${digest} layer ${i + 1}`;
      if (!isJsonObject(layer) || typeof layer.mediaType !== 'string' || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
        out.push(found(name, { integrityFailure: `layer ${i + 1} of ${digest} is not a descriptor` }));
        continue;
      }
      const annotations = isJsonObject(layer.annotations) ? layer.annotations : {};
      if (Object.values(annotations).some((v) => typeof v !== 'string')) {
        out.push(found(name, { integrityFailure: `layer ${i + 1} of ${digest} has annotations that are not strings` }));
        continue;
      }
      try {
        const payload = await layout.readBlob({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, MAX_SIGNATURE_BLOB);
        out.push(found(name, { attachment: { mimeType: layer.mediaType, payload, annotations: annotations as Record<string, string> } }));
      } catch (e) {
        if (!isAirsignError(e)) throw e;
        out.push(found(name, { integrityFailure: `the payload of layer ${i + 1} cannot be read: ${e.message}` }));
      }
    }
  }
  return out;
}

const sigTag = (place: SearchPlace) => `${place.target.digest.replace(':', '-')}.sig`;

export const COSIGN_SIG_VERIFICATION: FormatVerification = {
  id: 'cosign',
  trustedBy: 'keys',
  judgedByPolicy: 'sigstoreSigned',
  noneFound: (accepted, place) => accepted.includes('cosign-bundle')
    ? `no cosign signature (.sig tag ${sigTag(place)} or bundle referrer) is associated with ${place.target.digest}`
    : `no cosign .sig signature (tag ${sigTag(place)}) is associated with ${place.target.digest}`,
  find: async (search) => readCosignSigLayers(search.layout, sigManifests(search)),
  policyInput(found) {
    const layer = found as FoundSigLayer;
    return {
      format: 'cosign',
      name: layer.name,
      bytes: new Uint8Array(),
      ...(layer.attachment === undefined ? { integrityFailure: layer.integrityFailure ?? 'unreadable' } : { attachment: layer.attachment }),
    };
  },
  load: async () => (await import('./verify-cosign-signatures.js')).COSIGN_SIG_CHECKER,
};

export const COSIGN_BUNDLE_VERIFICATION: FormatVerification = {
  id: 'cosign-bundle',
  trustedBy: 'keys',
  noneFound: (_accepted, place) => `no cosign bundle referrer is associated with ${place.target.digest}`,
  find: ({ referrers }) => Promise.resolve(referrers
    .filter((node) => node.artifactType === MediaType.SigstoreBundleV03)
    .slice(0, MAX_SIGNATURES)
    .map((node): FoundBundle => ({ format: 'cosign-bundle', name: node.descriptor.digest, node }))),
  load: async () => (await import('./verify-cosign-signatures.js')).COSIGN_BUNDLE_CHECKER,
};
