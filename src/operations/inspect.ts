/**
 * `inspect`: what a layout holds — tags, the index/manifest tree with platforms, media types and
 * sizes, which blobs are present or stripped, and existing signatures and other referrers.
 * The JSON report (InspectReport) is a stable document for tests and scripts.
 */
import type { Platform } from '../descriptor.js';
import { sha256Hex } from '../digest.js';
import { Annotation, MediaType } from '../media-types.js';
import { reachableNodes, walkLayout, type GraphNode, type LayoutGraph, type NodeRole } from '../layout/graph.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { imageEntries } from '../layout/resolve.js';
import { isJsonObject } from '../json-object.js';

export interface InspectNode {
  digest: string;
  mediaType: string;
  size: number;
  role: NodeRole;
  present: boolean;
  platform?: string;
  artifactType?: string;
  /** ref.name tags of index.json entries for this digest. */
  tags?: string[];
  /** io.containerd.image.name values of index.json entries for this digest. */
  names?: string[];
  /** Why a present manifest could not be read. */
  error?: string;
  /** Digests of manifests that name this node as subject. */
  referrers?: string[];
  children?: InspectNode[];
}

export interface InspectImage extends InspectNode {
  /** True when the image's manifests are present but every one of its layers is missing. */
  stripped: boolean;
  layers: { present: number; missing: number; presentBytes: number; missingBytes: number };
}

export interface InspectReferrer {
  digest: string;
  mediaType: string;
  size: number;
  role: NodeRole;
  artifactType?: string;
  subject: string;
  present: boolean;
  tags?: string[];
}

/** Version of the InspectReport document (`inspect --json`); raised when a field changes meaning or goes. */
const INSPECT_SCHEMA_VERSION = 1;
export interface CosignSignatureListing {
  tag: string;
  /** The `.sig` manifest. */
  manifest: string;
  /** The payload layer. */
  layer: string;
  /** `critical.identity.docker-reference` (undefined when the payload is missing or unreadable). */
  identity?: string;
  /** `critical.image.docker-manifest-digest`. */
  signedDigest?: string;
  /** `critical.type`. */
  type?: string;
  /** Whether the layer carries a `dev.cosignproject.cosign/signature` annotation. */
  hasSignature: boolean;
  /** Why the payload could not be read. */
  error?: string;
}

export interface SigstoreBundleListing {
  /** The referrer manifest. */
  manifest: string;
  subject: string;
  predicateType?: string;
  /** The statement's subject digests (`sha256:<hex>`). */
  statementSubjects?: string[];
  /** verificationMaterial.publicKey.hint. */
  publicKeyHint?: string;
  error?: string;
}

export interface InspectReport {
  /** INSPECT_SCHEMA_VERSION: scripts check it before reading the rest. */
  schemaVersion: number;
  source: { kind: string; path: string };
  layoutVersion: string;
  index: { digest: string; size: number; mediaType: string | null; entries: number };
  tags: Array<{ tag: string | null; name: string | null; digest: string; mediaType: string }>;
  images: InspectImage[];
  referrers: InspectReferrer[];
  cosignTags: Array<{ tag: string; digest: string; subject: string; kind: string; present: boolean }>;
  /** One entry per layer of each cosign `.sig` manifest present: what each simple-signing payload says. */
  cosignSignatures: CosignSignatureListing[];
  /** Sigstore bundle referrers (cosign v3) present, with what their statement signs. */
  sigstoreBundles: SigstoreBundleListing[];
  blobs: { present: number; presentBytes: number; missing: number; missingBytes: number; unreferenced: string[] };
  extraFiles: string[];
}

function formatPlatform(p: Platform | undefined): string | undefined {
  if (!p) return undefined;
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/') + (p['os.version'] ? ` (${p['os.version']})` : '');
}

/**
 * A node as reached through one edge: media type, size, platform and (for a blob) role are the
 * edge's descriptor's, not those of the first descriptor seen for the digest.
 */
function nodeOf(graph: LayoutGraph, digest: string, edge?: GraphNode['childEdges'][number]): InspectNode {
  const n = graph.nodes.get(digest)!;
  const d = edge?.descriptor ?? n.descriptor;
  const platform = formatPlatform(d.platform);
  const node: InspectNode = { digest, mediaType: d.mediaType, size: d.size, role: edge?.role ?? n.role, present: n.present };
  if (platform) node.platform = platform;
  if (n.artifactType !== undefined) node.artifactType = n.artifactType;
  if (n.tags.length) node.tags = [...n.tags];
  if (n.names.length) node.names = [...n.names];
  if (n.error !== undefined) node.error = n.error;
  const refs = graph.referrers.get(digest);
  if (refs?.length) node.referrers = [...refs];
  return node;
}

/** The tree under `root`, depth first, each node's children expanded once; no recursion. */
function toNode(graph: LayoutGraph, root: string): InspectNode {
  const seen = new Set<string>();
  const top = nodeOf(graph, root);
  const stack: InspectNode[] = [top];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const children = graph.nodes.get(node.digest)!.children;
    if (children.length === 0 || seen.has(node.digest)) continue;
    seen.add(node.digest);
    const edges = graph.nodes.get(node.digest)!.childEdges;
    node.children = children.map((c, i) => nodeOf(graph, c, edges[i]));
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return top;
}

function layerStats(graph: LayoutGraph, root: string) {
  const stats = { present: 0, missing: 0, presentBytes: 0, missingBytes: 0, manifestsPresent: 0 };
  for (const n of reachableNodes(graph, root)) {
    if (n.role === 'layer') {
      if (n.present) {
        stats.present++;
        stats.presentBytes += n.descriptor.size;
      } else {
        stats.missing++;
        stats.missingBytes += n.descriptor.size;
      }
    }
    if (n.role === 'manifest' && n.present) stats.manifestsPresent++;
  }
  return stats;
}

/** inspectLayout on a layout the caller opened (and closes). */
async function inspectOpenLayout(layout: Layout): Promise<InspectReport> {
  const graph = await walkLayout(layout);
  const images = await imageEntries(layout);
  let layoutVersion: string;
  try {
    layoutVersion = String((JSON.parse(new TextDecoder().decode(layout.ociLayoutBytes)) as { imageLayoutVersion: string }).imageLayoutVersion);
  } catch {
    layoutVersion = '';
  }
  const report: InspectReport = {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    source: { ...layout.source },
    layoutVersion,
    index: {
      digest: `sha256:${sha256Hex(layout.indexBytes)}`,
      size: layout.indexBytes.length,
      mediaType: typeof layout.index.mediaType === 'string' ? layout.index.mediaType : null,
      entries: layout.index.manifests.length,
    },
    tags: layout.index.manifests
      .filter((d) => d.annotations?.[Annotation.RefName] !== undefined || d.annotations?.[Annotation.ContainerdImageName] !== undefined)
      .map((d) => ({ tag: d.annotations?.[Annotation.RefName] ?? null, name: d.annotations?.[Annotation.ContainerdImageName] ?? null, digest: d.digest, mediaType: d.mediaType })),
    images: images.map((d) => {
      const node = toNode(graph, d.digest);
      const stats = layerStats(graph, d.digest);
      return {
        ...node,
        stripped: stats.present === 0 && stats.missing > 0 && stats.manifestsPresent > 0,
        layers: { present: stats.present, missing: stats.missing, presentBytes: stats.presentBytes, missingBytes: stats.missingBytes },
      };
    }),
    referrers: [],
    cosignTags: graph.cosignTags.map((t) => ({ tag: t.tag, digest: t.digest, subject: t.subjectDigest, kind: t.kind, present: layout.hasBlob(t.digest) })),
    cosignSignatures: await listCosignSignatures(layout, graph),
    sigstoreBundles: await listSigstoreBundles(layout, graph),
    blobs: { present: 0, presentBytes: 0, missing: 0, missingBytes: 0, unreferenced: graph.unreferencedBlobs },
    extraFiles: layout.extraFiles.map((f) => f.path),
  };
  for (const [subject, list] of graph.referrers) {
    for (const digest of list) {
      const n = graph.nodes.get(digest)!;
      const r: InspectReferrer = { digest, mediaType: n.descriptor.mediaType, size: n.descriptor.size, role: n.role, subject, present: n.present };
      if (n.artifactType !== undefined) r.artifactType = n.artifactType;
      if (n.tags.length) r.tags = [...n.tags];
      report.referrers.push(r);
    }
  }
  for (const n of graph.nodes.values()) {
    if (n.present) {
      report.blobs.present++;
      report.blobs.presentBytes += layout.blobSize(n.descriptor.digest) ?? 0;
    } else {
      report.blobs.missing++;
      report.blobs.missingBytes += n.descriptor.size;
    }
  }
  for (const digest of graph.unreferencedBlobs) {
    report.blobs.present++;
    report.blobs.presentBytes += layout.blobSize(digest) ?? 0;
  }
  return report;
}

const MAX_SIGNATURE_JSON = 1024 * 1024;

function errorText(error: unknown): string {
  return (error as Error).message ?? String(error);
}

async function readJson(layout: Layout, d: { mediaType: string; digest: string; size: number }): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await layout.readBlob(d, MAX_SIGNATURE_JSON)));
}


async function listCosignSignatures(layout: Layout, graph: LayoutGraph): Promise<CosignSignatureListing[]> {
  const out: CosignSignatureListing[] = [];
  for (const t of graph.cosignTags) {
    if (t.kind !== 'sig' || !layout.hasBlob(t.digest)) continue;
    const node = graph.nodes.get(t.digest);
    if (!node) continue;
    let manifest: unknown;
    try {
      manifest = await readJson(layout, node.descriptor);
    } catch {
      continue;
    }
    const layers = isJsonObject(manifest) && Array.isArray(manifest.layers) ? manifest.layers : [];
    for (const layer of layers) {
      if (!isJsonObject(layer) || layer.mediaType !== MediaType.CosignSimpleSigning || typeof layer.digest !== 'string' || typeof layer.size !== 'number') continue;
      const annotations = isJsonObject(layer.annotations) ? layer.annotations : {};
      const listing: CosignSignatureListing = { tag: t.tag, manifest: t.digest, layer: layer.digest, hasSignature: typeof annotations['dev.cosignproject.cosign/signature'] === 'string' };
      try {
        if (!layout.hasBlob(layer.digest)) throw new Error('the payload is not in the layout');
        const payload = await readJson(layout, { mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
        const critical = isJsonObject(payload) && isJsonObject(payload.critical) ? payload.critical : {};
        const identity = isJsonObject(critical.identity) ? critical.identity['docker-reference'] : undefined;
        const image = isJsonObject(critical.image) ? critical.image['docker-manifest-digest'] : undefined;
        if (typeof identity === 'string') listing.identity = identity;
        if (typeof image === 'string') listing.signedDigest = image;
        if (typeof critical.type === 'string') listing.type = critical.type;
      } catch (error) {
        listing.error = errorText(error);
      }
      out.push(listing);
    }
  }
  return out;
}

async function listSigstoreBundles(layout: Layout, graph: LayoutGraph): Promise<SigstoreBundleListing[]> {
  const out: SigstoreBundleListing[] = [];
  for (const [subject, list] of graph.referrers) {
    for (const digest of list) {
      const node = graph.nodes.get(digest)!;
      if (node.artifactType !== MediaType.SigstoreBundleV03 || !node.present) continue;
      const listing: SigstoreBundleListing = { manifest: digest, subject };
      try {
        const manifest = await readJson(layout, node.descriptor);
        const layer: unknown = isJsonObject(manifest) && Array.isArray(manifest.layers) ? (manifest.layers as unknown[])[0] : undefined;
        if (!isJsonObject(layer) || typeof layer.digest !== 'string' || typeof layer.size !== 'number' || typeof layer.mediaType !== 'string') throw new Error('no bundle layer');
        if (!layout.hasBlob(layer.digest)) throw new Error('the bundle is not in the layout');
        const bundle = await readJson(layout, { mediaType: layer.mediaType, digest: layer.digest, size: layer.size });
        const material = isJsonObject(bundle) && isJsonObject(bundle.verificationMaterial) ? bundle.verificationMaterial : {};
        if (isJsonObject(material.publicKey) && typeof material.publicKey.hint === 'string') listing.publicKeyHint = material.publicKey.hint;
        const envelope = isJsonObject(bundle) && isJsonObject(bundle.dsseEnvelope) ? bundle.dsseEnvelope : undefined;
        if (envelope && typeof envelope.payload === 'string') {
          const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as unknown;
          if (isJsonObject(statement)) {
            if (typeof statement.predicateType === 'string') listing.predicateType = statement.predicateType;
            if (Array.isArray(statement.subject)) {
              listing.statementSubjects = statement.subject.flatMap((s) => (isJsonObject(s) && isJsonObject(s.digest) ? Object.entries(s.digest).map(([alg, hex]) => `${alg}:${String(hex)}`) : []));
            }
          }
        }
      } catch (error) {
        listing.error = errorText(error);
      }
      out.push(listing);
    }
  }
  return out;
}

/**
 * Reads `source` (a layout tar, .tar.gz, directory, or `-` with the `stdin` option) and reports
 * its tags, image trees, blobs present and missing, and referrers (signatures). Changes nothing.
 */
export async function inspectLayout(source: string, options: OpenLayoutOptions = {}): Promise<InspectReport> {
  return withLayout(source, options, (layout) => inspectOpenLayout(layout));
}
