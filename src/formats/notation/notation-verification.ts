/**
 * How `verify` finds and checks Notation signatures (the verify side of the notation and
 * notation-cose formats): referrers of the target with the application/vnd.cncf.notary.signature
 * artifact type, JWS or COSE by their one envelope layer, checked with the trust policy. The
 * checker (verify-notation-signatures.ts) loads on use.
 */
import { plainDescriptor, type PlainDescriptor } from '../../descriptor.js';
import { isAirsignError } from '../../errors.js';
import type { GraphNode } from '../../layout/graph.js';
import { parseLayoutJson } from '../../layout/layout-json.js';
import type { Layout } from '../../layout/open-layout.js';
import { isJsonObject } from '../../json-object.js';
import { MediaType } from '../../media-types.js';
import type { FormatVerification, FoundSignature, SearchPlace } from '../signature-verification.js';

/** notation tries at most this many signatures per artifact. */
const MAX_SIGNATURES = 100;

export interface FoundNotation extends FoundSignature {
  node: GraphNode;
}

/** The signature manifest's one envelope layer, or why there is none usable. */
export type EnvelopeLayer = { layer: PlainDescriptor } | { integrityFailure: string };

export async function envelopeLayer(layout: Layout, node: GraphNode): Promise<EnvelopeLayer> {
  const signature = node.descriptor.digest;
  try {
    const manifest = parseLayoutJson(await layout.readBlob(plainDescriptor(node.descriptor)), `signature manifest ${signature}`);
    const layers = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    if (layers.length !== 1 || !isJsonObject(layers[0])) return { integrityFailure: `signature manifest ${signature} must have exactly one envelope layer` };
    const layer = layers[0] as unknown as PlainDescriptor;
    if (typeof layer.mediaType !== 'string' || typeof layer.digest !== 'string' || typeof layer.size !== 'number') {
      return { integrityFailure: 'the envelope layer descriptor is malformed' };
    }
    return { layer };
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    return { integrityFailure: e.message };
  }
}

function noneFound(accepted: readonly string[], place: SearchPlace): string {
  const kind = accepted.length > 1 ? 'Notation' : accepted[0] === 'notation-cose' ? 'Notation (COSE)' : 'Notation (JWS)';
  return `no ${kind} signature is associated with ${place.target.digest}`;
}

/** `notation` (JWS envelope; also every Notation signature without a readable COSE layer) or `notation-cose`. */
function notationVerification(id: 'notation' | 'notation-cose'): FormatVerification {
  const cose = id === 'notation-cose';
  return {
    id,
    trustedBy: 'trustPolicy',
    noneFound,
    async find({ layout, referrers }) {
      const found: FoundNotation[] = [];
      for (const node of referrers) {
        if (node.artifactType !== MediaType.NotarySignature) continue;
        const read = await envelopeLayer(layout, node);
        if (('layer' in read && read.layer.mediaType === MediaType.Cose) === cose) found.push({ format: id, name: node.descriptor.digest, node });
      }
      return found.slice(0, MAX_SIGNATURES);
    },
    load: async () => (await import('./verify-notation-signatures.js')).NOTATION_CHECKER,
  };
}

export const NOTATION_VERIFICATION = notationVerification('notation');
export const NOTATION_COSE_VERIFICATION = notationVerification('notation-cose');
