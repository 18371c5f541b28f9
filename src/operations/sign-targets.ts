/**
 * What one `sign` run signs: the image `--reference` selects (or the only one) and, with
 * `--recursive`, the children of its index that are image manifests for a platform — decided by
 * their parsed content, not by what the parent's descriptor says of them. Attestation manifests
 * (docker's `vnd.docker.reference.type` annotation, an attestation `artifactType`, or BuildKit's
 * shape: only in-toto layers) are signed only with `--include-attestations`; everything else a
 * build machine may list (config or layer blobs, signature manifests, other referrers, nested
 * indexes, absent manifests) is skipped with a note naming it. Every manifest signed is read and
 * checked first (manifest-json.ts), in every format.
 */
import { plainDescriptor, type Descriptor, type PlainDescriptor } from '../descriptor.js';
import { MediaType, Annotation, isIndexMediaType, isManifestMediaType } from '../media-types.js';
import { readCheckedManifest, type CheckedManifest } from '../layout/manifest-json.js';
import type { Layout } from '../layout/open-layout.js';
import { resolveImage, type ResolvedImage } from '../layout/resolve.js';

export interface SignTargets {
  /** The selected image first, then the platform manifests (and attestations) chosen. */
  targets: PlainDescriptor[];
  /** One line per child not signed, naming it and why. */
  notes: string[];
  image: ResolvedImage;
}

/** What a child of an index is, by its content. */
export type ChildKind = 'platform-image' | 'attestation' | 'referrer' | 'other';

const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.OciConfig, MediaType.DockerConfig]);
const SIGNATURE_TYPES = new Set<string>([MediaType.NotarySignature, MediaType.SigstoreBundleV03, MediaType.CosignSimpleSigning]);

function isImageLayerType(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.oci.image.layer.') || mediaType.startsWith('application/vnd.docker.image.rootfs.');
}

function isInTotoType(mediaType: string): boolean {
  return mediaType === MediaType.InToto || mediaType.startsWith('application/vnd.in-toto.');
}

/** True when the manifest's content is an image for a platform: an image config and image layers only, no artifactType, no subject. */
function looksLikePlatformImage(manifest: CheckedManifest): boolean {
  return manifest.artifactType === undefined
    && manifest.subject === undefined
    && IMAGE_CONFIG_TYPES.has(manifest.config!.mediaType)
    && manifest.layers!.every((l) => isImageLayerType(l.mediaType));
}

/** Classifies a checked child manifest of an index, with the words for a note. */
export function classifyChild(descriptor: Descriptor, manifest: CheckedManifest): { kind: ChildKind; why: string } {
  const layers = manifest.layers ?? [];
  const byAnnotation = descriptor.annotations?.[Annotation.DockerReferenceType] === 'attestation-manifest';
  const byArtifactType = descriptor.artifactType === MediaType.DockerAttestationManifest || manifest.artifactType === MediaType.DockerAttestationManifest
    || manifest.config?.mediaType === MediaType.DockerAttestationManifest;
  const byShape = layers.length > 0 && layers.every((l) => isInTotoType(l.mediaType));
  if (byAnnotation || byArtifactType || byShape) {
    const said = byAnnotation ? 'its vnd.docker.reference.type annotation' : byArtifactType ? 'its artifactType' : 'its in-toto layers';
    const disguised = looksLikePlatformImage(manifest) && !byShape ? ', though its content is a platform image' : '';
    return { kind: 'attestation', why: `an attestation manifest (by ${said}${disguised})` };
  }
  const artifactType = manifest.artifactType ?? (IMAGE_CONFIG_TYPES.has(manifest.config!.mediaType) ? undefined : manifest.config!.mediaType);
  const cosignLayers = layers.length > 0 && layers.every((l) => l.mediaType === MediaType.CosignSimpleSigning);
  if ((artifactType !== undefined && SIGNATURE_TYPES.has(artifactType)) || cosignLayers) {
    return { kind: 'referrer', why: `a signature manifest${manifest.subject === undefined ? '' : ` of ${manifest.subject.digest}`}` };
  }
  if (manifest.subject !== undefined) return { kind: 'referrer', why: `a referrer of ${manifest.subject.digest}${artifactType === undefined ? '' : ` (${artifactType})`}` };
  if (looksLikePlatformImage(manifest)) return { kind: 'platform-image', why: 'a platform image' };
  if (artifactType !== undefined) return { kind: 'other', why: `an artifact (${artifactType}), not a platform image` };
  const odd = layers.find((l) => !isImageLayerType(l.mediaType));
  return { kind: 'other', why: `not a platform image (a layer of media type ${odd?.mediaType ?? '?'})` };
}

/** `linux/arm64/v8 (sha256:…)`, or the digest alone: how a note names a child. */
function childName(descriptor: Descriptor): string {
  const p = descriptor.platform;
  if (p === undefined || typeof p !== 'object') return descriptor.digest;
  const parts = [p.os, p.architecture, p.variant].filter((s): s is string => typeof s === 'string' && s !== '');
  return parts.length === 0 ? descriptor.digest : `${parts.join('/')} (${descriptor.digest})`;
}

/**
 * The targets of a run: the image `reference` selects, checked; with `recursive`, its index's
 * platform manifests (checked), attestations too with `includeAttestations`; notes for the rest.
 */
export async function chooseSignTargets(layout: Layout, options: { reference?: string; recursive?: boolean; includeAttestations?: boolean }): Promise<SignTargets> {
  const image = await resolveImage(layout, options.reference);
  const top = await readCheckedManifest(layout, image.plain, `${image.kind} ${image.plain.digest}`);
  const targets: PlainDescriptor[] = [plainDescriptor(image.plain)];
  const notes: string[] = [];
  if (!options.recursive) return { targets, notes, image };
  if (top.kind !== 'index') {
    notes.push(`--recursive: ${image.plain.digest} is a single manifest, nothing more to sign`);
    return { targets, notes, image };
  }
  const seen = new Set<string>([image.plain.digest]);
  for (const child of top.manifests!) {
    if (seen.has(child.digest)) continue;
    seen.add(child.digest);
    const name = childName(child);
    if (isIndexMediaType(child.mediaType)) {
      notes.push(`skipped ${name}: a nested index (sign it on its own with -r ${child.digest} --recursive)`);
      continue;
    }
    if (!isManifestMediaType(child.mediaType)) {
      notes.push(`skipped ${name}: a ${child.mediaType} blob, not an image manifest`);
      continue;
    }
    if (!layout.hasBlob(child.digest)) {
      notes.push(`skipped ${name}: its manifest is not in the layout`);
      continue;
    }
    const manifest = await readCheckedManifest(layout, child, `manifest ${child.digest} (listed by ${image.plain.digest})`);
    const { kind, why } = classifyChild(child, manifest);
    if (kind === 'platform-image' || (kind === 'attestation' && options.includeAttestations)) {
      targets.push(plainDescriptor(child));
    } else {
      notes.push(`skipped ${name}: ${why}${kind === 'attestation' ? '; --include-attestations signs it' : ''}`);
    }
  }
  return { targets, notes, image };
}
