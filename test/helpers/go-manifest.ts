/**
 * The differential peer for airsign's strict manifest reader (src/layout/manifest-json.ts):
 * test/peers/go-manifest-read, Go's encoding/json decoding into the image-spec shapes as oras-go,
 * containers/image and notation-go do, compiled once with Debian's Go 1.19 into the temp
 * directory; and one normal form of "what a reader sees" for Go's view and for JSON.parse's.
 */
import { execFileSync } from 'node:child_process';
import { goPeer } from './go-peer.js';

/** Go's view of each document (`{ error }` when Go refuses it), in one process. */
export function goManifestViews(docs: Array<{ kind: 'index' | 'manifest'; bytes: Uint8Array }>): unknown[] {
  const input = docs.map((d) => `${d.kind} ${Buffer.from(d.bytes).toString('base64')}\n`).join('');
  const out = execFileSync(goPeer('go-manifest-read'), [], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return out.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const nonEmpty = (v: unknown) => (Array.isArray(v) ? (v.length > 0 ? v : null) : v !== null && typeof v === 'object' && Object.keys(v).length > 0 ? v : null);

function platform(p: Json) {
  return {
    architecture: p.architecture ?? '', os: p.os ?? '', 'os.version': p['os.version'] ?? '', variant: p.variant ?? '',
    'os.features': nonEmpty(p['os.features']), features: nonEmpty(p.features),
  };
}

function descriptor(d: Json) {
  return {
    mediaType: d.mediaType ?? '', digest: d.digest ?? '', size: d.size ?? 0, urls: nonEmpty(d.urls), annotations: nonEmpty(d.annotations),
    data: typeof d.data === 'string' && d.data !== '' ? Buffer.from(d.data, 'base64').toString('base64') : null,
    platform: d.platform === undefined || d.platform === null ? null : platform(obj(d.platform)),
    artifactType: d.artifactType ?? '',
  };
}

/** What a reader sees of a manifest or index — the same form for Go's output and for a JSON.parse value. */
export function readerView(kind: 'index' | 'manifest', value: unknown) {
  const v = obj(value);
  return {
    schemaVersion: v.schemaVersion ?? 0,
    mediaType: v.mediaType ?? '',
    artifactType: v.artifactType ?? '',
    ...(kind === 'manifest' ? { config: descriptor(obj(v.config)), layers: list(v.layers).map((d) => descriptor(obj(d))) } : { manifests: list(v.manifests).map((d) => descriptor(obj(d))) }),
    subject: v.subject === undefined || v.subject === null ? null : descriptor(obj(v.subject)),
    annotations: nonEmpty(v.annotations),
  };
}
