/**
 * The tag-based cosign signature manifest (`sha256-<hex>.sig`), as go-containerregistry writes it
 * for cosign: an OCI image manifest whose layers are simple-signing payloads, each annotated with
 * `dev.cosignproject.cosign/signature`, and an image config listing one diff_id and one empty
 * history entry per layer. Signatures accumulate as layers of ONE manifest; reading an existing
 * one refuses anything that is not cosign's, so we never append to (and re-tag) foreign content.
 */
import { descriptorFromBytes, type Descriptor, type PlainDescriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import { parseLayoutJson } from '../../layout/layout-json.js';
import { isJsonObject } from '../../json-object.js';
import { MediaType } from '../../media-types.js';
import { GoMap, goJson } from '../../go-json.js';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** Newer cosign writes this config media type; we accept it when appending. */
const COSIGN_ARTIFACT_SIG_CONFIG = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** One signature layer: the payload's descriptor and its annotations (signature, maybe certificate…). */
export interface CosignSigLayer {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

/** The `.sig` tag for a manifest digest: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function cosignSignatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** The config blob go-containerregistry writes for a signature image with these layers. */
function cosignSigConfig(layers: readonly PlainDescriptor[]): Uint8Array {
  const text = goJson({
    architecture: '',
    created: GO_ZERO_TIME,
    history: layers.map(() => ({ created: GO_ZERO_TIME })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  });
  return new TextEncoder().encode(text);
}

/** Manifest bytes (ggcr field order: mediaType, size, digest, annotations) and the config blob. */
export function buildCosignSigManifest(layers: readonly CosignSigLayer[]): { manifestBytes: Uint8Array; configBytes: Uint8Array; descriptor: PlainDescriptor } {
  const configBytes = cosignSigConfig(layers);
  const config = descriptorFromBytes(MediaType.OciConfig, configBytes);
  const text = goJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, annotations: new GoMap(l.annotations) })),
  });
  const manifestBytes = new TextEncoder().encode(text);
  return { manifestBytes, configBytes, descriptor: descriptorFromBytes(MediaType.OciManifest, manifestBytes) };
}

/**
 * Reads an existing `.sig` manifest found in the layout. Throws COSIGN_SIG_MANIFEST_INVALID unless
 * it is an OCI image manifest with an image (or cosign sig) config and only simple-signing layers
 * that carry a signature annotation.
 */
export function parseCosignSigManifest(entry: Descriptor, bytes: Uint8Array): CosignSigLayer[] {
  const tag = entry.annotations?.['org.opencontainers.image.ref.name'] ?? entry.digest;
  const fail = (why: string): never => {
    throw airsignError('COSIGN_SIG_MANIFEST_INVALID', `the existing ${tag} manifest ${entry.digest} is not a cosign signature manifest: ${why}; remove it or sign another image`, {
      details: { tag, digest: entry.digest },
    });
  };
  if (entry.mediaType !== MediaType.OciManifest) fail(`its media type is ${entry.mediaType}`);
  let value: unknown;
  try {
    value = parseLayoutJson(bytes, `manifest ${entry.digest}`);
  } catch {
    return fail('it is not valid JSON');
  }
  if (!isJsonObject(value)) return fail('it is not a JSON object');
  if (value.schemaVersion !== 2) fail('schemaVersion is not 2');
  if (value.mediaType !== undefined && value.mediaType !== MediaType.OciManifest) fail(`its mediaType is ${JSON.stringify(value.mediaType)}`);
  if (value.subject !== undefined) fail('it has a subject (it is a referrer, not a tag-based signature)');
  const config = value.config;
  if (!isJsonObject(config) || (config.mediaType !== MediaType.OciConfig && config.mediaType !== COSIGN_ARTIFACT_SIG_CONFIG)) fail('its config is not an image config');
  if (!Array.isArray(value.layers) || value.layers.length === 0) return fail('it has no layers');
  return value.layers.map((layer, i) => {
    if (!isJsonObject(layer) || layer.mediaType !== MediaType.CosignSimpleSigning) return fail(`layer ${i} is not ${MediaType.CosignSimpleSigning}`);
    const annotations = layer.annotations;
    if (!isJsonObject(annotations) || typeof annotations[COSIGN_SIGNATURE_ANNOTATION] !== 'string' || Object.values(annotations).some((v) => typeof v !== 'string')) {
      return fail(`layer ${i} has no ${COSIGN_SIGNATURE_ANNOTATION} annotation`);
    }
    if (typeof layer.digest !== 'string' || typeof layer.size !== 'number') return fail(`layer ${i} is not a descriptor`);
    return { mediaType: layer.mediaType, digest: layer.digest, size: layer.size, annotations: annotations as Record<string, string> };
  });
}
