/**
 * The notation / notation-cose format adapters: what they add to a layout, the record, the
 * refusals, and the RFC 3161 token (checked with `openssl ts -verify`, a peer).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorFromBytes } from '../../../src/descriptor.js';
import { digestOf, sha256Hex } from '../../../src/digest.js';
import { CborTag, decodeCbor } from '../../../src/formats/cbor.js';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import type { SignContext, SigningKeyInfo } from '../../../src/formats/signature-format.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { Annotation, MediaType } from '../../../src/media-types.js';
import { createTsaTimestamper } from '../../../src/timestamp/tsa-client.js';
import { startLocalTsa, verifyTokenWithOpenssl, type LocalTsa } from '../../helpers/local-tsa.js';
import { cryptoKeyBackend, makeTestChain, type OpensslKeyKind } from '../../helpers/sign-fixtures.js';

const registry = defaultFormatRegistry();
const manifestBytes = new TextEncoder().encode('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
const subject = descriptorFromBytes(MediaType.OciManifest, manifestBytes);
// Certificates are made at collection time with notBefore = now, so sign a little later.
const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
const expiry = new Date(signingTime.getTime() + 30 * 86400_000);
const rfc = (d: Date) => d.toISOString().replace('.000Z', 'Z');

async function keyInfo(backend: KeyBackend, chain: Uint8Array[]): Promise<SigningKeyInfo> {
  const spki = await backend.publicKeySpki();
  return { backend, chain, spki, publicKeyFingerprint: sha256Hex(spki), certificateThumbprints: chain.map((c) => sha256Hex(c)) };
}

function context(key: SigningKeyInfo, extra: Partial<SignContext> = {}): SignContext {
  return { key, subject, annotations: {}, signingTime, signingAgent: 'airsign/test', notationManifest: 'legacy', ...extra };
}

function rawSignature(mediaType: string, envelope: Uint8Array): Uint8Array {
  if (mediaType === MediaType.Jws) {
    const jws = JSON.parse(new TextDecoder().decode(envelope)) as { signature: string };
    return new Uint8Array(Buffer.from(jws.signature, 'base64url'));
  }
  const tagged = decodeCbor(envelope) as CborTag;
  return (tagged.value as Uint8Array[])[3]!;
}

let tsa: LocalTsa;
beforeAll(async () => {
  tsa = await startLocalTsa();
});
afterAll(async () => {
  await tsa?.close();
});

const cases: Array<[OpensslKeyKind, string]> = [['ec-p256', 'ES256'], ['ec-p384', 'ES384'], ['rsa-3072', 'PS384']];

describe.each(cases)('notation formats with a %s key', (kind, algorithm) => {
  const chain = makeTestChain(kind);
  const backend = cryptoKeyBackend(chain.keyPath, chain.chain);

  for (const id of ['notation', 'notation-cose']) {
    it(`${id}: config, envelope and manifest blobs; an untagged index entry; a complete record`, async () => {
      const key = await keyInfo(backend, chain.chain);
      const format = registry.get(id);
      await format.check(key);
      const out = await format.sign(context(key, { annotations: { 'com.example.team': 'release' }, expiry }));
      expect(out.blobs).toHaveLength(3);
      const [config, envelope, manifest] = out.blobs as [Uint8Array, Uint8Array, Uint8Array];
      expect(new TextDecoder().decode(config)).toBe('{}');
      const entry = out.indexEntries[0]!;
      expect(out.indexEntries).toHaveLength(1);
      expect(entry.digest).toBe(digestOf(manifest));
      expect(entry.size).toBe(manifest.length);
      expect(entry.annotations?.[Annotation.RefName]).toBeUndefined();
      expect(JSON.parse(entry.annotations![Annotation.NotaryThumbprint]!)).toEqual(key.certificateThumbprints);
      const parsed = JSON.parse(new TextDecoder().decode(manifest)) as { subject: unknown; config: { mediaType: string }; layers: Array<{ mediaType: string; digest: string }> };
      expect(parsed.subject).toEqual(subject);
      expect(parsed.config.mediaType).toBe(MediaType.NotarySignature);
      const mediaType = id === 'notation' ? MediaType.Jws : MediaType.Cose;
      expect(parsed.layers[0]).toMatchObject({ mediaType, digest: digestOf(envelope) });

      const verified = verifyNotationEnvelope(mediaType, envelope);
      expect(verified.payload.targetArtifact).toEqual({ ...subject, annotations: { 'com.example.team': 'release' } });
      expect(verified.algorithm).toBe(algorithm);
      expect(verified.signingTime.toISOString()).toBe(signingTime.toISOString());
      expect(verified.expiry?.toISOString()).toBe(expiry.toISOString());
      expect(verified.timestampToken).toBeUndefined();

      const record = out.records[0]!;
      expect(record).toEqual({
        format: id,
        signedDescriptor: subject,
        publicKeyFingerprint: sha256Hex(key.spki),
        certificateThumbprints: chain.chain.map((c) => sha256Hex(c)),
        signatureManifest: { mediaType: MediaType.OciManifest, digest: digestOf(manifest), size: manifest.length },
        signature: { mediaType, digest: digestOf(envelope), size: envelope.length },
        algorithm,
        signingTime: rfc(signingTime),
        expiry: rfc(expiry),
        timestamped: false,
        toolVersion: expect.stringMatching(/^\d+\.\d+\.\d+/),
      });
    });

    it(`${id}: --tsa puts an RFC 3161 token over the raw signature that openssl ts -verify accepts`, async () => {
      tsa.mode = 'ok';
      const key = await keyInfo(backend, chain.chain);
      const out = await registry.get(id).sign(context(key, { timestamper: createTsaTimestamper(tsa.url, { rootCertificates: [tsa.rootDer] }) }));
      const envelope = out.blobs[1]!;
      const mediaType = id === 'notation' ? MediaType.Jws : MediaType.Cose;
      const verified = verifyNotationEnvelope(mediaType, envelope);
      expect(verified.timestampToken).toBeDefined();
      const signature = rawSignature(mediaType, envelope);
      expect(verifyTokenWithOpenssl(tsa, signature, verified.timestampToken!)).toMatch(/Verification: OK/);
      expect(() => verifyTokenWithOpenssl(tsa, randomBytes(signature.length), verified.timestampToken!)).toThrow();
      expect(out.records[0]!.timestamped).toBe(true);
    });
  }

  it('oci-1.1 manifest variant carries artifactType in the manifest and the index entry', async () => {
    const key = await keyInfo(backend, chain.chain);
    const out = await registry.get('notation').sign(context(key, { notationManifest: 'oci-1.1' }));
    expect(out.indexEntries[0]!.artifactType).toBe(MediaType.NotarySignature);
    const manifest = JSON.parse(new TextDecoder().decode(out.blobs[2])) as { artifactType: string; config: { mediaType: string } };
    expect(manifest.artifactType).toBe(MediaType.NotarySignature);
    expect(manifest.config.mediaType).toBe(MediaType.OciEmpty);
  });
});

describe('notation format refusals (kind key, before signing)', () => {
  it('refuses Ed25519', async () => {
    const chain = makeTestChain('ed25519');
    const backend = cryptoKeyBackend(chain.keyPath, chain.chain);
    await expect(registry.get('notation').check(await keyInfo(backend, chain.chain))).rejects.toMatchObject({ kind: 'key', code: 'NOTATION_KEY_UNSUPPORTED' });
    expect(backend.signCount).toBe(0);
  });
  it('refuses a key without a certificate', async () => {
    const chain = makeTestChain('ec-p256');
    const backend = cryptoKeyBackend(chain.keyPath, []);
    await expect(registry.get('notation-cose').check(await keyInfo(backend, []))).rejects.toMatchObject({ kind: 'key', code: 'NOTATION_NO_CERTIFICATE' });
  });
  it('refuses a certificate for another key', async () => {
    const a = makeTestChain('ec-p256');
    const b = makeTestChain('ec-p256');
    const backend = cryptoKeyBackend(a.keyPath, b.chain);
    await expect(registry.get('notation').check(await keyInfo(backend, b.chain))).rejects.toMatchObject({ kind: 'key', code: 'KEY_CERT_MISMATCH' });
  });
  it('refuses a leaf whose keyUsage is not critical', async () => {
    const chain = makeTestChain('ec-p256', { leafExtensions: 'v3_leaf_bad_ku' });
    const backend = cryptoKeyBackend(chain.keyPath, chain.chain);
    await expect(registry.get('notation').check(await keyInfo(backend, chain.chain))).rejects.toMatchObject({ kind: 'key', code: 'NOTATION_LEAF_KEY_USAGE' });
  });
});
