/**
 * Which blobs a layout no longer needs once some manifests are replaced (a cosign `.sig` manifest
 * rebuilt with one more layer): the replaced manifests and the configs only they referenced, unless
 * the new index.json still lists them. Layers stay (the new manifest lists them again).
 */
import { walkLayout } from './graph.js';
import { parseImageIndex } from './image-index.js';
import type { Layout } from './open-layout.js';

/**
 * The replaced manifests and what only they reference (their config), when nothing in the new
 * index.json still reaches them: a rebuilt `.sig` manifest leaves no stale copy behind.
 */
export async function supersededBlobs(layout: Layout, newIndexBytes: Uint8Array, replaced: readonly string[]): Promise<Set<string>> {
  const drop = new Set<string>();
  if (replaced.length === 0) return drop;
  const listed = new Set(parseImageIndex(newIndexBytes).manifests.map((d) => d.digest));
  const graph = await walkLayout(layout);
  const candidates = [...replaced];
  while (candidates.length > 0) {
    const digest = candidates.shift()!;
    const node = graph.nodes.get(digest);
    if (drop.has(digest) || listed.has(digest) || !node || !node.present) continue;
    if (!node.parents.every((p) => drop.has(p)) || graph.roots.some((r) => r.digest === digest && !replaced.includes(digest))) continue;
    drop.add(digest);
    // Only the config: layers (payloads) stay, the new manifest lists them again.
    if (node.role !== 'layer') candidates.push(...node.children.filter((c) => graph.nodes.get(c)?.role === 'config'));
  }
  return drop;
}
