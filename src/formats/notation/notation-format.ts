/**
 * Adapters from the signature-format seam to the Notation library (envelopes and signature
 * manifests are built by notation-signer.ts / signature-manifest.ts): `notation` (JWS) and
 * `notation-cose` (COSE_Sign1).
 */
import { descriptorFromBytes, plainDescriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import type { SignatureRecord } from '../../signing-record.js';
import { formatRfc3339 } from '../../rfc3339.js';
import { VERSION } from '../../version.js';
import type { SignatureFormat, SignContext, SigningKeyInfo } from '../signature-format.js';
import { checkNotationAnnotations, createNotationEnvelope, type NotationEnvelopeType } from './notation-signer.js';
import { prepareNotationChain, type ValidatedNotationChain } from './notation-chain.js';
import { buildNotationSignatureManifest } from './signature-manifest.js';
import { notationAlgorithmFor } from './notation-algorithm.js';

/**
 * The chain each run's check() validated, by the run's key info (both Notation formats share it):
 * every envelope of the run reuses it instead of checking the chain again.
 */
const runChains = new WeakMap<SigningKeyInfo, ValidatedNotationChain>();

export function createNotationFormat(type: NotationEnvelopeType): SignatureFormat {
  const id = type === 'jws' ? 'notation' : 'notation-cose';
  return {
    id,
    describe: type === 'jws'
      ? 'Notary Project signature, JWS envelope (application/jose+json), as notation v1.3 writes it'
      : 'Notary Project signature, COSE_Sign1 envelope (application/cose), as notation v1.3 writes it',
    checkAnnotations: checkNotationAnnotations,
    async check(key: SigningKeyInfo, run = {}) {
      if (key.chain.length === 0) {
        throw airsignError('NOTATION_NO_CERTIFICATE', `--format ${id} needs an X.509 certificate chain for the key (give --cert chain.pem or store a certificate with the key)`);
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
        variant: context.notationManifest,
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
  };
}

export const notationJwsFormat: SignatureFormat = createNotationFormat('jws');
export const notationCoseFormat: SignatureFormat = createNotationFormat('cose');
