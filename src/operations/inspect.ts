/**
 * `inspect`: what a layout holds — tags, the index/manifest tree with platforms, media types and
 * sizes, which blobs are present or stripped, and existing signatures and other referrers.
 * The JSON report (InspectReport) is a stable document for tests and scripts.
 */
import type { Platform } from '../descriptor.js';
import { sha256Hex } from '../digest.js';
import { Annotation } from '../media-types.js';
import { reachableNodes, walkLayout, type LayoutGraph, type NodeRole } from '../layout/graph.js';
import { withLayout, type Layout, type OpenLayoutOptions } from '../layout/open-layout.js';
import { imageEntries } from '../layout/resolve.js';

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

export interface InspectReport {
  source: { kind: string; path: string };
  layoutVersion: string;
  index: { digest: string; size: number; mediaType: string | null; entries: number };
  tags: Array<{ tag: string | null; name: string | null; digest: string; mediaType: string }>;
  images: InspectImage[];
  referrers: InspectReferrer[];
  cosignTags: Array<{ tag: string; digest: string; subject: string; kind: string; present: boolean }>;
  blobs: { present: number; presentBytes: number; missing: number; missingBytes: number; unreferenced: string[] };
  extraFiles: string[];
}

export function formatPlatform(p: Platform | undefined): string | undefined {
  if (!p) return undefined;
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/') + (p['os.version'] ? ` (${p['os.version']})` : '');
}

function nodeOf(graph: LayoutGraph, digest: string): InspectNode {
  const n = graph.nodes.get(digest)!;
  const d = n.descriptor;
  const platform = formatPlatform(d.platform);
  const node: InspectNode = { digest, mediaType: d.mediaType, size: d.size, role: n.role, present: n.present };
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
    node.children = children.map((c) => nodeOf(graph, c));
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
export async function inspectOpenLayout(layout: Layout): Promise<InspectReport> {
  const graph = await walkLayout(layout);
  const images = await imageEntries(layout);
  let layoutVersion: string;
  try {
    layoutVersion = String((JSON.parse(new TextDecoder().decode(layout.ociLayoutBytes)) as { imageLayoutVersion: string }).imageLayoutVersion);
  } catch {
    layoutVersion = '';
  }
  const report: InspectReport = {
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

/**
 * Reads `source` (a layout tar, .tar.gz, directory, or `-` with the `stdin` option) and reports
 * its tags, image trees, blobs present and missing, and referrers (signatures). Changes nothing.
 */
export async function inspectLayout(source: string, options: OpenLayoutOptions = {}): Promise<InspectReport> {
  return withLayout(source, options, (layout) => inspectOpenLayout(layout));
}
