/**
 * Adapters from the signature-format seam to the Notation library (envelopes and signature
 * manifests are built by notation-signer.ts / signature-manifest.ts): `notation` (JWS) and
 * `notation-cose` (COSE_Sign1).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { assertDescriptor, descriptorFromBytes, plainDescriptor } from '../../descriptor.js';
import { MediaType } from '../../media-types.js';
import { airsignError } from '../../errors.js';
import type { SignatureRecord } from '../../signing-record.js';
import { formatRfc3339 } from '../../rfc3339.js';
import { VERSION } from '../../version.js';
import type { ExistingSignature, SignatureFormat, SignContext, SigningKeyInfo } from '../signature-format.js';
import { checkNotationAnnotations, createNotationEnvelope, type NotationEnvelopeType } from './notation-signer.js';
import { prepareNotationChain, type ValidatedNotationChain } from './notation-chain.js';
import { buildNotationSignatureManifest } from './signature-manifest.js';
import { notationAlgorithmFor } from './notation-algorithm.js';
import type { NotationManifestVariant } from './signature-manifest.js';
import { NOTATION_COSE_VERIFICATION, NOTATION_VERIFICATION } from './notation-verification.js';

/**
 * The chain each run's check() validated, by the run's key info (both Notation formats share it):
 * every envelope of the run reuses it instead of checking the chain again.
 */
const runChains = new WeakMap<SigningKeyInfo, ValidatedNotationChain>();

/** Options of the Notation formats (`--notation-manifest`). */
export interface NotationFormatOptions {
  /** Signature-manifest shape (default legacy: what notation v1.3 reads from layouts). */
  manifest?: NotationManifestVariant;
}

export function createNotationFormat(type: NotationEnvelopeType, options: NotationFormatOptions = {}): SignatureFormat {
  const variant = options.manifest ?? 'legacy';
  const id = type === 'jws' ? 'notation' : 'notation-cose';
  return {
    id,
    verification: type === 'jws' ? NOTATION_VERIFICATION : NOTATION_COSE_VERIFICATION,
    describe: type === 'jws'
      ? 'Notary Project signature, JWS envelope (application/jose+json), as notation v1.3 writes it'
      : 'Notary Project signature, COSE_Sign1 envelope (application/cose), as notation v1.3 writes it',
    checkAnnotations: checkNotationAnnotations,
    async check(key: SigningKeyInfo, run = {}) {
      if (key.chain.length === 0) {
        throw airsignError('NOTATION_NO_CERTIFICATE', `options.formats ${id} needs an X.509 certificate chain for the key (give options.keyOptions.certificatePath chain.pem or store a certificate with the key)`, {
          details: { option: 'keyOptions.certificatePath' },
        });
      }
      notationAlgorithmFor(key.backend.keyType);
      const at = run.signingTime === undefined ? undefined : new Date(Math.floor(run.signingTime.getTime() / 1000) * 1000);
      const known = runChains.get(key);
      if (known !== undefined && at !== undefined && known.at.getTime() === at.getTime()) return;
      const validated = prepareNotationChain(key.chain, key.spki, at === undefined ? {} : { at });
      if (at !== undefined) runChains.set(key, validated);
    },
    async sign(context: SignContext) {
      const envelope = await createNotationEnvelope(type, context.key.backend, runChains.get(context.key) ?? context.key.chain, {
        target: context.subject,
        ...(Object.keys(context.annotations).length === 0 ? {} : { annotations: context.annotations }),
        signingTime: context.signingTime,
        ...(context.expiry === undefined ? {} : { expiry: context.expiry }),
        signingAgent: context.signingAgent,
        ...(context.timestamper === undefined ? {} : { timestamper: context.timestamper }),
      });
      const manifest = buildNotationSignatureManifest({
        subject: context.subject,
        envelope: { mediaType: envelope.mediaType, bytes: envelope.bytes },
        chain: context.key.chain,
        created: context.signingTime,
        variant,
      });
      const record: SignatureRecord = {
        format: id,
        signedDescriptor: plainDescriptor(context.subject),
        publicKeyFingerprint: context.key.publicKeyFingerprint,
        certificateThumbprints: context.key.certificateThumbprints,
        signatureManifest: plainDescriptor(manifest.descriptor),
        signature: descriptorFromBytes(envelope.mediaType, envelope.bytes),
        algorithm: envelope.algorithm,
        signingTime: formatRfc3339(context.signingTime),
        ...(context.expiry === undefined ? {} : { expiry: formatRfc3339(context.expiry) }),
        timestamped: context.timestamper !== undefined,
        toolVersion: VERSION,
      };
      return {
        blobs: [...manifest.blobs, manifest.manifestBytes],
        indexEntries: [manifest.descriptor],
        records: [record],
      };
    },
    signerOf: (existing) => notationSignerOf(existing, type === 'jws' ? MediaType.Jws : MediaType.Cose),
  };
}

/**
 * The signer of an existing Notation signature manifest (either manifest form) whose envelope has
 * media type `envelopeType`, when the envelope verifies and signs `existing.subject`.
 */
async function notationSignerOf(existing: ExistingSignature, envelopeType: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(existing.manifestBytes)) as { artifactType?: unknown; config?: { mediaType?: unknown }; layers?: unknown[] };
    const notary = manifest.artifactType === MediaType.NotarySignature || manifest.config?.mediaType === MediaType.NotarySignature;
    const layer = manifest.layers?.[0];
    if (!notary) return undefined;
    assertDescriptor(layer, 'layers[0]');
    if (layer.mediaType !== envelopeType) return undefined;
    // The verifier (both envelope parsers, chain rules) loads only when there is one to check.
    const { verifyNotationEnvelope } = await import('./verify-envelope.js');
    const envelope = verifyNotationEnvelope(envelopeType, await existing.readBlob(plainDescriptor(layer)));
    if (envelope.payload.targetArtifact.digest !== existing.subject.digest) return undefined;
    const spki = new X509Certificate(envelope.chain[0]!).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('hex');
  } catch {
    return undefined; // unreadable or invalid: not a signature by anyone we can name
  }
}
