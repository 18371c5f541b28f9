/**
 * Picks one image in a layout: by tag, by full image name, by `registry/repo:tag`, by digest, or
 * (without a reference) the only image there is. A reference that could mean two images (two
 * entries share the tag, however the reference is spelled) is refused, never resolved to one.
 */
import { plainDescriptor, type Descriptor, type PlainDescriptor } from '../descriptor.js';
import { airsignError, isAirsignError } from '../errors.js';
import { Annotation, isIndexMediaType, isManifestMediaType } from '../media-types.js';
import { cosignTagOf, isAttestationDescriptor, manifestFacts, OciArtifactManifest, walkLayout } from './graph.js';
import { parseLayoutJson } from './layout-json.js';
import { isJsonObject } from '../json-object.js';
import type { Layout } from './open-layout.js';

export interface ResolvedChild {
  descriptor: Descriptor;
  present: boolean;
  isAttestation: boolean;
}

export interface ResolvedImage {
  /** The descriptor exactly as in index.json (or in the parent index for a child picked by digest). */
  descriptor: Descriptor;
  plain: PlainDescriptor;
  /** Raw manifest or index bytes. */
  manifestBytes: Uint8Array;
  kind: 'index' | 'manifest';
  /** The entries of an index. */
  children?: ResolvedChild[];
}

const DIGEST_REF = /^(?:.*@)?((?:sha256|sha512):[a-f0-9]+)$/;

/** Names a user might type for an index.json entry. */
function namesOf(d: Descriptor): string[] {
  const names: string[] = [];
  const tag = d.annotations?.[Annotation.RefName];
  const full = d.annotations?.[Annotation.ContainerdImageName];
  if (tag !== undefined) names.push(tag);
  if (full !== undefined) {
    names.push(full);
    const short = shortName(full);
    if (short !== full) names.push(short);
  }
  return names;
}

/** `docker.io/library/foo:latest` → `foo:latest`; `docker.io/org/foo:1` → `org/foo:1`. */
function shortName(name: string): string {
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

function tagOfReference(reference: string): string | undefined {
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  return colon > slash ? reference.slice(colon + 1) : undefined;
}

function describeEntry(d: Descriptor): string {
  const names = namesOf(d);
  return names.length > 0 ? `${names[0]} (${d.digest})` : d.digest;
}

async function isReferrerEntry(layout: Layout, d: Descriptor): Promise<boolean> {
  if (cosignTagOf(d) || isAttestationDescriptor(d)) return true;
  if (!layout.hasBlob(d.digest) || !(isManifestMediaType(d.mediaType) || d.mediaType === OciArtifactManifest || isIndexMediaType(d.mediaType))) return false;
  try {
    const bytes = await layout.readBlob(d);
    if (isIndexMediaType(d.mediaType)) {
      const v = parseLayoutJson(bytes, 'index');
      return isJsonObject(v) && v.subject !== undefined;
    }
    const facts = manifestFacts(bytes, d.mediaType);
    return facts.subject !== undefined || facts.isSignature;
  } catch (error) {
    if (isAirsignError(error) && (error.code === 'LAYOUT_DIGEST_MISMATCH' || error.code === 'LAYOUT_SIZE_MISMATCH')) throw error;
    return false;
  }
}

/** index.json entries that are images (not signatures, attestations or other referrers), one per digest. */
export async function imageEntries(layout: Layout): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (const d of layout.index.manifests) {
    if (seen.has(d.digest)) continue;
    if (!(isIndexMediaType(d.mediaType) || isManifestMediaType(d.mediaType))) continue;
    if (await isReferrerEntry(layout, d)) continue;
    seen.add(d.digest);
    out.push(d);
  }
  return out;
}

/** The image `reference` (tag, name:tag or digest) selects in `layout`, or its only image; throws when ambiguous or absent. */
export async function resolveImage(layout: Layout, reference?: string): Promise<ResolvedImage> {
  const entries = layout.index.manifests;
  let chosen: Descriptor | undefined;
  if (reference === undefined || reference === '') {
    const images = await imageEntries(layout);
    if (images.length === 0) throw airsignError('LAYOUT_NO_IMAGE', `${layout.source.path} holds no image`);
    if (images.length > 1) {
      throw airsignError('LAYOUT_AMBIGUOUS_IMAGE', `${layout.source.path} holds ${images.length} images; pick one with options.reference: ${images.map(describeEntry).join(', ')}`, {
        details: { option: 'reference', candidates: images.map((d) => ({ digest: d.digest, names: namesOf(d) })) },
      });
    }
    chosen = images[0];
  } else {
    const digestMatch = DIGEST_REF.exec(reference);
    if (digestMatch) {
      const digest = digestMatch[1]!;
      chosen = entries.find((d) => d.digest === digest) ?? (await findChild(layout, digest));
    } else {
      // Every entry the reference could mean, whatever its spelling: one of the entry's names, or
      // the reference's tag as the entry's ref.name (the name `oras cp <layout>:<tag>` goes by).
      // A full name whose tag another image also carries is as ambiguous as the bare tag.
      const tag = tagOfReference(reference);
      const matches = (d: Descriptor) => namesOf(d).includes(reference) || (tag !== undefined && d.annotations?.[Annotation.RefName] === tag);
      const found = entries.filter(matches);
      const digests = new Set(found.map((d) => d.digest));
      if (digests.size > 1) {
        throw airsignError('LAYOUT_AMBIGUOUS_IMAGE', `reference ${JSON.stringify(reference)} matches ${digests.size} images: ${found.map(describeEntry).join(', ')}; pick one by digest (options.reference sha256:…)`, {
          details: { option: 'reference', candidates: found.map((d) => ({ digest: d.digest, names: namesOf(d) })) },
        });
      }
      chosen = found[0];
    }
    if (!chosen) {
      const known = entries.flatMap(namesOf);
      throw airsignError('LAYOUT_IMAGE_NOT_FOUND', `no image ${JSON.stringify(reference)} in ${layout.source.path}${known.length ? ` (tags: ${[...new Set(known)].join(', ')})` : ''}`);
    }
  }
  const d = chosen!;
  const kind = isIndexMediaType(d.mediaType) ? 'index' : isManifestMediaType(d.mediaType) ? 'manifest' : undefined;
  if (!kind) throw airsignError('LAYOUT_NOT_AN_IMAGE', `${d.digest} has media type ${d.mediaType}, not an image manifest or index`);
  if (!layout.hasBlob(d.digest)) {
    throw airsignError('LAYOUT_MISSING_BLOB', `${kind} ${d.digest} is listed but not in ${layout.source.path}`, { details: { digest: d.digest } });
  }
  const manifestBytes = await layout.readBlob(d);
  const resolved: ResolvedImage = { descriptor: d, plain: plainDescriptor(d), manifestBytes, kind };
  if (kind === 'index') {
    const value = parseLayoutJson(manifestBytes, `index ${d.digest}`);
    const list = isJsonObject(value) && Array.isArray(value.manifests) ? (value.manifests as Descriptor[]) : [];
    resolved.children = list.map((c) => ({ descriptor: c, present: layout.hasBlob(c.digest), isAttestation: isAttestationDescriptor(c) }));
  }
  return resolved;
}

/**
 * A manifest listed by an index reachable from index.json (e.g. one platform), found by digest
 * through the layout's one graph walk (walkLayout), which also holds the one depth rule.
 */
async function findChild(layout: Layout, digest: string): Promise<Descriptor | undefined> {
  const graph = await walkLayout(layout);
  const node = graph.nodes.get(digest);
  if (node === undefined) return undefined;
  for (const parent of node.parents) {
    const index = graph.nodes.get(parent);
    if (index?.role !== 'index') continue;
    const edge = index.childEdges.find((e) => e.descriptor.digest === digest);
    if (edge !== undefined) return edge.descriptor;
  }
  return undefined;
}
