/**
 * `--format cosign-bundle`: cosign v3's default signature, a Sigstore bundle stored as an OCI 1.1
 * referrer of the signed manifest (cosign's WriteReferrer: artifactType = the bundle media type,
 * the empty config carrying that artifactType, one bundle layer, `subject`, and the created /
 * dev.sigstore.bundle.* annotations), listed untagged in index.json so oras-go finds it.
 */
import { descriptorFromBytes, plainDescriptor, type Descriptor } from '../../descriptor.js';
import { Annotation, EMPTY_JSON_BYTES, EMPTY_JSON_DIGEST, MediaType } from '../../media-types.js';
import { formatRfc3339 } from '../../rfc3339.js';
import type { SignatureRecord } from '../../signing-record.js';
import { VERSION } from '../../version.js';
import { GoMap, goJson } from '../../go-json.js';
import type { SignatureFormat, SignContext } from '../signature-format.js';
import { assertOwnSignatureVerifies } from '../check-own-signature.js';
import { cosignAlgorithmName, cosignScheme } from './cosign-scheme.js';
import { COSIGN_SIGN_PREDICATE_TYPE, cosignSignStatement, dssePae, sigstoreBundleJson } from './sigstore-bundle.js';
import { COSIGN_BUNDLE_VERIFICATION } from './cosign-verification.js';

const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
const BUNDLE_PREDICATE_TYPE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

/** The referrer manifest bytes in go-containerregistry's field order (artifactType last). */
function buildBundleReferrerManifest(subject: { mediaType: string; digest: string; size: number }, bundle: Uint8Array, created: Date) {
  const layer = descriptorFromBytes(MediaType.SigstoreBundleV03, bundle);
  const annotations = {
    [Annotation.Created]: formatRfc3339(created),
    [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope',
    [BUNDLE_PREDICATE_TYPE_ANNOTATION]: COSIGN_SIGN_PREDICATE_TYPE,
  };
  const text = goJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciEmpty, size: EMPTY_JSON_BYTES.length, digest: EMPTY_JSON_DIGEST, artifactType: MediaType.SigstoreBundleV03 },
    layers: [{ mediaType: layer.mediaType, size: layer.size, digest: layer.digest }],
    annotations: new GoMap(annotations),
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
    artifactType: MediaType.SigstoreBundleV03,
  });
  const manifestBytes = new TextEncoder().encode(text);
  const descriptor: Descriptor = {
    ...descriptorFromBytes(MediaType.OciManifest, manifestBytes),
    artifactType: MediaType.SigstoreBundleV03,
    annotations: { ...annotations },
  };
  return { manifestBytes, descriptor, layer };
}

/** The `cosign-bundle` format: a Sigstore v0.3 bundle (DSSE in-toto statement) as an OCI referrer. */
export function createCosignBundleFormat(): SignatureFormat {
  return {
    id: 'cosign-bundle',
    verification: COSIGN_BUNDLE_VERIFICATION,
    describe: 'cosign v3 Sigstore bundle (DSSE in-toto statement) as an OCI referrer, as cosign v3 writes it by default',
    async check() {
      // ECDSA, RSA and pure Ed25519 keys all verify with `cosign verify --key` (LoadVerifier, SHA-256).
    },
    async sign(context: SignContext) {
      const statement = cosignSignStatement(context.subject.digest, context.annotations);
      const pae = dssePae(MediaType.InToto, statement);
      const scheme = cosignScheme(context.key.backend.keyType);
      const signature = await context.key.backend.sign(pae, scheme);
      assertOwnSignatureVerifies('cosign-bundle', context.key.spki, pae, signature, scheme);
      const bundle = sigstoreBundleJson({ spki: context.key.spki, payload: statement, signature });
      const manifest = buildBundleReferrerManifest(context.subject, bundle, context.signingTime);
      const record: SignatureRecord = {
        format: 'cosign-bundle',
        signedDescriptor: plainDescriptor(context.subject),
        publicKeyFingerprint: context.key.publicKeyFingerprint,
        certificateThumbprints: [],
        signatureManifest: plainDescriptor(manifest.descriptor),
        signature: manifest.layer,
        algorithm: cosignAlgorithmName(context.key.backend.keyType),
        signingTime: formatRfc3339(context.signingTime),
        timestamped: false,
        toolVersion: VERSION,
      };
      return {
        blobs: [EMPTY_JSON_BYTES, bundle, manifest.manifestBytes],
        indexEntries: [manifest.descriptor],
        records: [record],
      };
    },
  };
}
