/**
 * `--format cosign`: the tag-based signature podman, skopeo and cosign read. One simple-signing
 * payload per signed manifest, signed over its bytes (ECDSA DER / RSA PKCS#1 v1.5 over SHA-256, or
 * pure Ed25519), stored as a layer of the `sha256-<hex>.sig` manifest; an existing `.sig` manifest
 * gets the layer appended (an identical signature is not added twice). The image's index.json entry
 * and the `.sig` entry get cosign's `kind` annotations so `cosign verify --local-image` finds them.
 */
import { descriptorFromBytes, plainDescriptor, type Descriptor, type PlainDescriptor } from '../../descriptor.js';
import { digestOf as digestOfBytes } from '../../digest.js';
import { airsignError } from '../../errors.js';
import { isJsonObject } from '../../json-object.js';
import { parseLayoutJson } from '../../layout/layout-json.js';
import { Annotation, isIndexMediaType, MediaType } from '../../media-types.js';
import { formatRfc3339 } from '../../rfc3339.js';
import type { SignatureRecord } from '../../signing-record.js';
import { VERSION } from '../../version.js';
import type { SignatureFormat, SignContext } from '../signature-format.js';
import { assertOwnSignatureVerifies, ownSignatureVerifies } from '../check-own-signature.js';
import { cosignAlgorithmName, cosignScheme } from './cosign-scheme.js';
import { buildCosignSigManifest, COSIGN_SIGNATURE_ANNOTATION, cosignSignatureTag, parseCosignSigManifest, type CosignSigLayer } from './cosign-sig-manifest.js';
import { cosignSimpleSigningPayload } from './cosign-payload.js';
import { COSIGN_SIG_VERIFICATION } from './cosign-verification.js';

const COSIGN_KIND = 'kind';
const CosignKind = {
  Image: 'dev.cosignproject.cosign/image',
  ImageIndex: 'dev.cosignproject.cosign/imageIndex',
  Sigs: 'dev.cosignproject.cosign/sigs',
} as const;

/** The `kind` annotation cosign save gives the signed image's index.json entry. */
function cosignImageKind(mediaType: string): string {
  return isIndexMediaType(mediaType) ? CosignKind.ImageIndex : CosignKind.Image;
}

/** The `cosign` format: tag-based `sha256-<hex>.sig` simple-signing signatures (needs the identity). */
export function createCosignSigFormat(): SignatureFormat {
  return {
    id: 'cosign',
    verification: COSIGN_SIG_VERIFICATION,
    describe: 'cosign tag-based signature (sha256-<hex>.sig, simple signing), as cosign, podman and skopeo read it',
    needsIdentity: true,
    async check() {
      // Every key type airsign opens has a cosign verifier (ECDSA, RSA, pure Ed25519).
    },
    async sign(context: SignContext) {
      const identity = context.identity;
      if (identity === undefined) {
        throw airsignError('IDENTITY_REQUIRED', 'options.formats cosign needs the registry reference the image will be pulled as: give options.identity registry/repo[:tag]', {
          details: { option: 'identity' },
        });
      }
      const subject = context.subject;
      const payload = cosignSimpleSigningPayload(identity, subject.digest, context.annotations);
      const payloadDescriptor = descriptorFromBytes(MediaType.CosignSimpleSigning, payload);
      const scheme = cosignScheme(context.key.backend.keyType);
      const tag = cosignSignatureTag(subject.digest);

      const existingEntry = context.layout.index.manifests.find((d) => d.annotations?.[Annotation.RefName] === tag);
      let layers: CosignSigLayer[] = [];
      let existingBytes: Uint8Array | undefined;
      if (existingEntry !== undefined) {
        if (!context.layout.hasBlob(existingEntry.digest)) {
          throw airsignError('COSIGN_SIG_MANIFEST_INVALID', `the existing ${tag} manifest ${existingEntry.digest} is not in the layout, so a signature cannot be appended to it`, {
            details: { tag, digest: existingEntry.digest },
          });
        }
        existingBytes = await context.layout.readBlob(existingEntry);
        layers = parseCosignSigManifest(existingEntry, existingBytes);
      }
      // cosign's DupeDetector: a layer with this payload whose signature verifies with this key is the same signature.
      const duplicate = layers.find((l) => l.digest === payloadDescriptor.digest
        && ownSignatureVerifies(context.key.spki, payload, Buffer.from(l.annotations[COSIGN_SIGNATURE_ANNOTATION]!, 'base64'), scheme));

      // A layer whose payload blob is gone leaves a .sig that verify rejects: ours is put back (the
      // payload is the same bytes), anyone else's cannot be, so the run stops.
      const lost = layers.find((l) => l.digest !== payloadDescriptor.digest && !context.layout.hasBlob(l.digest));
      if (lost !== undefined && existingEntry !== undefined) {
        throw airsignError('COSIGN_SIG_MANIFEST_INVALID', `the existing ${tag} manifest ${existingEntry.digest} has a layer whose payload ${lost.digest} is not in the layout; remove the ${tag} entry or restore the blob`, {
          details: { tag, digest: existingEntry.digest, missing: lost.digest },
        });
      }
      const imageKind = context.isTopLevel ? [{ digest: subject.digest, setAnnotations: { [COSIGN_KIND]: cosignImageKind(subject.mediaType) } }] : [];
      const recordOf = (signatureManifest: PlainDescriptor, existing: boolean): SignatureRecord => ({
        format: 'cosign',
        signedDescriptor: plainDescriptor(subject),
        publicKeyFingerprint: context.key.publicKeyFingerprint,
        certificateThumbprints: [],
        signatureManifest,
        signature: payloadDescriptor,
        algorithm: cosignAlgorithmName(context.key.backend.keyType),
        signingTime: formatRfc3339(context.signingTime),
        timestamped: false,
        toolVersion: VERSION,
        identity,
        tag,
        ...(existing ? { existing: true } : {}),
      });
      if (duplicate !== undefined && existingEntry !== undefined) {
        // Already signed this way: leave the .sig manifest as it is (only the kind annotations may be
        // new), but put back its payload and (when the manifest is what we build) config if missing.
        const rebuilt = buildCosignSigManifest(layers);
        const configDigest = existingBytes === undefined ? undefined : configDigestOf(existingBytes);
        const configMissing = configDigest !== undefined && !context.layout.hasBlob(configDigest);
        if (configMissing && digestOfBytes(rebuilt.configBytes) !== configDigest) {
          throw airsignError('COSIGN_SIG_MANIFEST_INVALID', `the existing ${tag} manifest ${existingEntry.digest} has no config blob ${configDigest} in the layout, and it cannot be rebuilt; remove the ${tag} entry and sign again`, {
            details: { tag, digest: existingEntry.digest, missing: configDigest },
          });
        }
        return {
          blobs: [...(context.layout.hasBlob(payloadDescriptor.digest) ? [] : [payload]), ...(configMissing ? [rebuilt.configBytes] : [])],
          indexEntries: [],
          indexEdits: [...imageKind, ...(context.isTopLevel ? [{ digest: existingEntry.digest, setAnnotations: { [COSIGN_KIND]: CosignKind.Sigs } }] : [])],
          records: [recordOf(plainDescriptor(existingEntry), true)],
          detachedTags: [tag],
        };
      }
      const signature = await context.key.backend.sign(payload, scheme);
      assertOwnSignatureVerifies('cosign', context.key.spki, payload, signature, scheme);
      layers = [...layers, { ...payloadDescriptor, annotations: { [COSIGN_SIGNATURE_ANNOTATION]: Buffer.from(signature).toString('base64') } }];
      const manifest = buildCosignSigManifest(layers);
      const entryAnnotations: Record<string, string> = { ...(existingEntry?.annotations ?? {}), [Annotation.RefName]: tag };
      if (context.isTopLevel) entryAnnotations[COSIGN_KIND] = CosignKind.Sigs;
      const entry: Descriptor = { ...manifest.descriptor, annotations: entryAnnotations };
      return {
        blobs: [payload, manifest.configBytes, manifest.manifestBytes],
        indexEntries: [entry],
        indexEdits: imageKind,
        ...(existingEntry === undefined || existingEntry.digest === manifest.descriptor.digest ? {} : { replacedManifests: [existingEntry.digest] }),
        records: [recordOf(plainDescriptor(manifest.descriptor), false)],
        detachedTags: [tag],
      };
    },
  };
}

/** The config digest of a `.sig` manifest parseCosignSigManifest accepted. */
function configDigestOf(manifestBytes: Uint8Array): string | undefined {
  const value = parseLayoutJson(manifestBytes, 'manifest');
  const config = isJsonObject(value) ? value.config : undefined;
  return isJsonObject(config) && typeof config.digest === 'string' ? config.digest : undefined;
}
