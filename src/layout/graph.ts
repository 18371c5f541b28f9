/**
 * The one place that knows graph edges by media type, and a walk over everything reachable from
 * index.json: which nodes are present or missing, what role each plays, which manifests refer to
 * others through `subject` (referrers), and cosign `sha256-<hex>.sig` tags.
 */
import { assertDescriptor, type Descriptor } from '../descriptor.js';
import { airsignError, isAirsignError } from '../errors.js';
import { Annotation, isIndexMediaType, isManifestMediaType, MediaType } from '../media-types.js';
import { parseLayoutJson } from './layout-json.js';
import { isJsonObject } from '../json-object.js';
import type { Layout } from './open-layout.js';

export const OciArtifactManifest = 'application/vnd.oci.artifact.manifest.v1+json';

export type NodeRole = 'index' | 'manifest' | 'config' | 'layer' | 'attestation' | 'signature' | 'other';

export interface GraphNode {
  /** The descriptor as first referenced (index.json entries keep their annotations and platform). */
  descriptor: Descriptor;
  role: NodeRole;
  present: boolean;
  /** Digests of indexes/manifests that list this node (subject edges excluded). */
  parents: string[];
  /** Successor digests in order (manifests of an index; config then layers of a manifest). */
  children: string[];
  /**
   * The descriptor and role of each edge to `children` (same order): one blob can be reached
   * under different media types (the empty `{}` is an attestation's config and, as
   * application/vnd.cncf.notary.signature, a Notation signature's), and `descriptor` above is only
   * the first of them. Role is absent for an edge to a manifest or index (its role is its own).
   */
  childEdges: Array<{ descriptor: Descriptor; role?: NodeRole }>;
  /** A manifest's subject (it is a referrer of that node). */
  subject?: Descriptor;
  /** artifactType of a manifest (or its config mediaType when that is not an image config). */
  artifactType?: string;
  /** Tags (`org.opencontainers.image.ref.name`) of index.json entries for this digest. */
  tags: string[];
  /** `io.containerd.image.name` values of index.json entries for this digest. */
  names: string[];
  /** Why a present manifest could not be read (it is then treated as a leaf). */
  error?: string;
}

export interface CosignTag {
  tag: string;
  digest: string;
  /** `sha256:<hex>` the tag points at by name. */
  subjectDigest: string;
  kind: 'sig' | 'att' | 'sbom';
}

export interface LayoutGraph {
  /** index.json entries in order. */
  roots: Descriptor[];
  nodes: Map<string, GraphNode>;
  /** subject digest → digests of manifests naming it as subject. */
  referrers: Map<string, string[]>;
  cosignTags: CosignTag[];
  /** Blobs present in the layout that nothing reachable references. */
  unreferencedBlobs: string[];
}

const COSIGN_TAG = /^(sha256|sha512)-([a-f0-9]+)\.(sig|att|sbom)$/;

/**
 * Most levels of nested indexes and manifests (an index.json entry is level 1; configs and layers
 * below the last level do not count). Real layouts use 1 or 2 (index → platform manifests);
 * deeper is refused with LAYOUT_GRAPH_TOO_DEEP so every consumer of the graph can rely on a
 * small, bounded depth.
 */
export const MAX_GRAPH_DEPTH = 32;

interface Edges {
  config?: Descriptor;
  /** manifests of an index, layers of a manifest, blobs of an artifact manifest */
  items: Descriptor[];
  subject?: Descriptor;
}

function edgesOf(mediaType: string, value: unknown): Edges {
  const edges: Edges = { items: [] };
  if (!isJsonObject(value)) return edges;
  const list = (field: string): Descriptor[] => {
    const raw = value[field];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) throw airsignError('LAYOUT_BAD_MANIFEST', `"${field}" of a ${mediaType} is not an array`);
    raw.forEach((d, i) => assertDescriptor(d, `${field}[${i}]`));
    return raw as Descriptor[];
  };
  if (isIndexMediaType(mediaType)) edges.items = list('manifests');
  else if (isManifestMediaType(mediaType)) {
    if (value.config !== undefined) {
      assertDescriptor(value.config, 'config');
      edges.config = value.config;
    }
    edges.items = list('layers');
  } else if (mediaType === OciArtifactManifest) edges.items = list('blobs');
  else return edges;
  if (value.subject !== undefined) {
    assertDescriptor(value.subject, 'subject');
    edges.subject = value.subject;
  }
  return edges;
}

/** Successor descriptors of a manifest or index by media type: config, layers/manifests/blobs, subject. */
export function successors(mediaType: string, manifestBytes: Uint8Array): Descriptor[] {
  const e = edgesOf(mediaType, parseLayoutJson(manifestBytes, `${mediaType} content`));
  return [...(e.config ? [e.config] : []), ...e.items, ...(e.subject ? [e.subject] : [])];
}

export function isAttestationDescriptor(d: Descriptor): boolean {
  return d.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest' || d.artifactType === MediaType.DockerAttestationManifest;
}

const SIGNATURE_TYPES = new Set<string>([MediaType.NotarySignature, MediaType.SigstoreBundleV03, MediaType.CosignSimpleSigning]);
const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);

/** Facts about a manifest's content that decide its role. */
export function manifestFacts(bytes: Uint8Array, mediaType: string): { artifactType?: string; subject?: Descriptor; isSignature: boolean; isAttestation: boolean } {
  const value = parseLayoutJson(bytes, `manifest (${mediaType})`);
  if (!isJsonObject(value)) return { isSignature: false, isAttestation: false };
  let artifactType = typeof value.artifactType === 'string' ? value.artifactType : undefined;
  const config = isJsonObject(value.config) ? value.config : undefined;
  if (artifactType === undefined && config && typeof config.mediaType === 'string' && !IMAGE_CONFIG_TYPES.has(config.mediaType) && config.mediaType !== MediaType.OciEmpty) {
    artifactType = config.mediaType;
  }
  const layers = Array.isArray(value.layers) ? value.layers : [];
  const cosignLayers = layers.length > 0 && layers.every((l) => isJsonObject(l) && l.mediaType === MediaType.CosignSimpleSigning);
  let subject: Descriptor | undefined;
  if (value.subject !== undefined) {
    assertDescriptor(value.subject, 'subject');
    subject = value.subject;
  }
  return {
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(subject === undefined ? {} : { subject }),
    isSignature: (artifactType !== undefined && SIGNATURE_TYPES.has(artifactType)) || cosignLayers,
    isAttestation: artifactType === MediaType.DockerAttestationManifest,
  };
}

export function cosignTagOf(d: Descriptor): CosignTag | undefined {
  const tag = d.annotations?.[Annotation.RefName];
  const m = tag === undefined ? null : COSIGN_TAG.exec(tag);
  if (!tag || !m) return undefined;
  return { tag, digest: d.digest, subjectDigest: `${m[1]}:${m[2]}`, kind: m[3] as CosignTag['kind'] };
}

function isGraphMediaType(mediaType: string): boolean {
  return isIndexMediaType(mediaType) || isManifestMediaType(mediaType) || mediaType === OciArtifactManifest;
}

/**
 * Walks every node reachable from index.json. Tolerates missing nodes and manifests that are not
 * valid JSON (recorded as `error`); a blob that does not match its digest or size throws.
 */
export async function walkLayout(layout: Layout): Promise<LayoutGraph> {
  const nodes = new Map<string, GraphNode>();
  const referrers = new Map<string, string[]>();
  const cosignTags: CosignTag[] = [];
  const queue: string[] = [];
  const depth = new Map<string, number>();

  const visit = (d: Descriptor, parent: string | undefined, role: NodeRole | undefined): GraphNode => {
    let node = nodes.get(d.digest);
    if (!node) {
      const level = parent === undefined ? 1 : depth.get(parent)! + 1;
      if (level > MAX_GRAPH_DEPTH && isGraphMediaType(d.mediaType)) {
        throw airsignError('LAYOUT_GRAPH_TOO_DEEP', `the layout nests indexes and manifests more than ${MAX_GRAPH_DEPTH} levels deep (at ${d.digest})`);
      }
      depth.set(d.digest, level);
      node = {
        descriptor: d,
        role: role ?? (isIndexMediaType(d.mediaType) ? 'index' : isGraphMediaType(d.mediaType) ? (isAttestationDescriptor(d) ? 'attestation' : 'manifest') : 'other'),
        present: layout.hasBlob(d.digest),
        parents: [],
        children: [],
        childEdges: [],
        tags: [],
        names: [],
      };
      nodes.set(d.digest, node);
      if (isGraphMediaType(d.mediaType)) queue.push(d.digest);
    }
    if (parent !== undefined && !node.parents.includes(parent)) node.parents.push(parent);
    return node;
  };

  for (const d of layout.index.manifests) {
    const node = visit(d, undefined, undefined);
    const tag = d.annotations?.[Annotation.RefName];
    const name = d.annotations?.[Annotation.ContainerdImageName];
    if (tag !== undefined && !node.tags.includes(tag)) node.tags.push(tag);
    if (name !== undefined && !node.names.includes(name)) node.names.push(name);
    const cosign = cosignTagOf(d);
    if (cosign) cosignTags.push(cosign);
  }

  // Breadth first, without recursion: each node's level is its shortest distance from index.json.
  for (let next = 0; next < queue.length; next++) {
    const digest = queue[next]!;
    const node = nodes.get(digest)!;
    if (!node.present) continue;
    const d = node.descriptor;
    let edges: Edges;
    try {
      const bytes = await layout.readBlob(d);
      const value = parseLayoutJson(bytes, `manifest ${digest}`);
      edges = edgesOf(d.mediaType, value);
      if (isJsonObject(value) && typeof value.artifactType === 'string') node.artifactType = value.artifactType;
      if (!isIndexMediaType(d.mediaType)) {
        const facts = manifestFacts(bytes, d.mediaType);
        if (facts.artifactType !== undefined) node.artifactType = facts.artifactType;
        if (facts.isAttestation || isAttestationDescriptor(d)) node.role = 'attestation';
        else if (facts.isSignature || cosignTags.some((t) => t.digest === digest)) node.role = 'signature';
      }
      if (edges.subject) node.subject = edges.subject;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      // Content that does not match its digest is corrupt input for every command, never a note.
      if (isAirsignError(error) && (error.code === 'LAYOUT_DIGEST_MISMATCH' || error.code === 'LAYOUT_SIZE_MISMATCH')) throw error;
      node.error = error.message || 'unreadable manifest';
      continue;
    }
    const leafRole: NodeRole = node.role === 'attestation' ? 'attestation' : node.role === 'signature' ? 'signature' : node.role === 'manifest' ? 'layer' : 'other';
    const children = [...(edges.config ? [{ d: edges.config, role: 'config' as NodeRole }] : []), ...edges.items.map((c) => ({ d: c, role: leafRole }))];
    for (const { d: child, role } of children) {
      const edgeRole = isGraphMediaType(child.mediaType) ? undefined : role;
      visit(child, digest, edgeRole);
      if (!node.children.includes(child.digest)) {
        node.children.push(child.digest);
        node.childEdges.push({ descriptor: child, ...(edgeRole === undefined ? {} : { role: edgeRole }) });
      }
    }
    if (node.subject) {
      const list = referrers.get(node.subject.digest) ?? [];
      if (!list.includes(digest)) list.push(digest);
      referrers.set(node.subject.digest, list);
      if (!nodes.has(node.subject.digest)) visit(node.subject, undefined, undefined);
    }
  }

  const unreferencedBlobs = layout.blobDigests().filter((b) => !nodes.has(b));
  return { roots: layout.index.manifests, nodes, referrers, cosignTags, unreferencedBlobs };
}


/** Every node reachable from `root` through children (each once, depth first); unknown digests are skipped. */
export function* reachableNodes(graph: LayoutGraph, root: string): Generator<GraphNode> {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    const digest = stack.pop()!;
    if (seen.has(digest)) continue;
    seen.add(digest);
    const node = graph.nodes.get(digest);
    if (node === undefined) continue;
    yield node;
    stack.push(...node.children);
  }
}
