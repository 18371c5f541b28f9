/**
 * Our output next to notation's own: sign notation's unsigned e2e layout with notation's e2e key and
 * compare with its e2e-valid-signature layout, and re-create notation-go's COSE/JWS vectors over the
 * alpine manifest. Everything but times' spelling and signature bytes must be identical.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plainDescriptor } from '../../../src/descriptor.js';
import { digestOf } from '../../../src/digest.js';
import { decodeCbor, CborTag, type CborValue } from '../../../src/formats/cbor.js';
import { createNotationEnvelope } from '../../../src/formats/notation/notation-signer.js';
import { buildNotationSignatureManifest } from '../../../src/formats/notation/signature-manifest.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { openKey } from '../../../src/keys/open-key.js';
import { MediaType } from '../../../src/media-types.js';
import { verifyWithPython } from '../../helpers/notation-peer.js';

const path = (p: string) => fileURLToPath(new URL(`../../fixtures/notation/${p}`, import.meta.url));
const bytes = (p: string) => new Uint8Array(readFileSync(path(p)));
const json = <T>(p: string) => JSON.parse(readFileSync(path(p), 'utf8')) as T;
const b64url = (s: string) => Buffer.from(s, 'base64url');

interface Jws { payload: string; protected: string; header: Record<string, unknown>; signature: string }
interface Index { manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] }

async function e2eKey() {
  return openKey(path('e2e.key'), { certificatePath: path('e2e.crt') });
}

describe('sign notation\'s e2e layout with notation\'s e2e key', () => {
  it('gives the envelope and signature manifest notation wrote, but for the time spelling and signature bytes', async () => {
    const index = json<Index>('e2e/index.json');
    const v1 = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'v1')!;
    expect(digestOf(bytes('e2e/manifest.json'))).toBe(v1.digest);
    const target = plainDescriptor(v1);
    const theirs = json<Jws>('e2e-valid-signature/envelope.jws');
    const theirTime = /"io.cncf.notary.signingTime":"([^"]+)"/.exec(b64url(theirs.protected).toString())![1]!;
    const signingTime = new Date(theirTime); // 2023-06-27T13:30:33+08:00

    const key = await e2eKey();
    const chain = await key.certificateChain();
    const envelope = await createNotationEnvelope('jws', key, chain, { target, signingTime, signingAgent: 'Notation/1.0.0' });
    await key.close();
    const ours = JSON.parse(new TextDecoder().decode(envelope.bytes)) as Jws;

    expect(envelope.algorithm).toBe('PS256');
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect(Object.keys(ours.header)).toEqual(Object.keys(theirs.header));
    expect(ours.header).toEqual(theirs.header); // same x5c (std base64 DER) and signing agent
    expect(ours.payload).toBe(theirs.payload); // byte-identical payload encoding
    expect(b64url(ours.protected).toString()).toBe(b64url(theirs.protected).toString().replace(theirTime, '2023-06-27T05:30:33Z'));
    expect(b64url(ours.signature)).toHaveLength(b64url(theirs.signature).length);

    // Both verify with our verifier and with jwcrypto against e2e.crt as the root.
    for (const e of [envelope.bytes, bytes('e2e-valid-signature/envelope.jws')]) {
      expect(verifyNotationEnvelope(MediaType.Jws, e).payload.targetArtifact).toEqual(target);
    }
    const peer = verifyWithPython(path('e2e.crt'), [{ bytes: envelope.bytes, name: 'ours.jws' }, { bytes: bytes('e2e-valid-signature/envelope.jws'), name: 'theirs.jws' }], { descriptor: target });
    expect(peer.lines).toEqual(['OK JWS PS256', 'OK JWS PS256']);

    // The signature manifest is notation's, byte for byte, once the envelope layer is swapped in.
    const manifest = buildNotationSignatureManifest({ subject: target, envelope, chain, created: signingTime });
    const theirManifest = readFileSync(path('e2e-valid-signature/signature-manifest.json'), 'utf8');
    const theirLayer = (JSON.parse(theirManifest) as { layers: { digest: string; size: number }[] }).layers[0]!;
    const ourText = new TextDecoder().decode(manifest.manifestBytes);
    expect(ourText.replace(digestOf(envelope.bytes), theirLayer.digest).replace(`"size":${envelope.bytes.length}}`, `"size":${theirLayer.size}}`)).toBe(theirManifest);
    expect(manifest.blobs).toEqual([new TextEncoder().encode('{}'), envelope.bytes]);
    expect(manifest.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: digestOf(manifest.manifestBytes),
      size: manifest.manifestBytes.length,
      annotations: {
        'io.cncf.notary.x509chain.thumbprint#S256': '["e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9"]',
        'org.opencontainers.image.created': '2023-06-27T05:30:33Z',
      },
    });
    // Notation's index.json lists its signature manifest with the same three identifying fields and no ref.name.
    const theirEntry = json<Index>('e2e-valid-signature/index.json').manifests.find((m) => m.digest === digestOf(new TextEncoder().encode(theirManifest)))!;
    expect(theirEntry.annotations?.['org.opencontainers.image.ref.name']).toBeUndefined();
    expect(Object.keys(manifest.descriptor)).not.toContain('artifactType');
    expect(plainDescriptor(JSON.parse(ourText).subject)).toEqual(plainDescriptor(target));
  });

  it('writes the oci-1.1 variant with artifactType and the empty config when asked', async () => {
    const key = await e2eKey();
    const target = { mediaType: MediaType.OciManifest, digest: `sha256:${'0'.repeat(64)}`, size: 1 };
    const envelope = await createNotationEnvelope('cose', key, await key.certificateChain(), { target, signingTime: new Date(), signingAgent: 'airsign' });
    const manifest = buildNotationSignatureManifest({ subject: target, envelope, chain: await key.certificateChain(), created: new Date('2030-01-01T00:00:00.5Z'), variant: 'oci-1.1' });
    const text = new TextDecoder().decode(manifest.manifestBytes);
    expect(text).toBe('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.notary.signature",'
      + '"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},'
      + `"layers":[{"mediaType":"application/cose","digest":"${digestOf(envelope.bytes)}","size":${envelope.bytes.length}}],`
      + `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${target.digest}","size":1},`
      + '"annotations":{"io.cncf.notary.x509chain.thumbprint#S256":"[\\"e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9\\"]","org.opencontainers.image.created":"2030-01-01T00:00:00Z"}}');
    expect(manifest.descriptor.artifactType).toBe(MediaType.NotarySignature);
    await key.close();
  });
});

describe('re-create notation-go\'s vectors over the alpine manifest', () => {
  const target = { mediaType: MediaType.OciManifest, digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0', size: 481 };

  it('COSE: the same protected header and payload bytes, the same unprotected header layout', async () => {
    const theirs = (decodeCbor(bytes('notation-go/cose_signature.sig')) as CborTag).value as [Uint8Array, Map<CborValue, CborValue>, Uint8Array, Uint8Array];
    const key = await e2eKey(); // RSA-2048 like theirs, so the same PS256 header
    const envelope = await createNotationEnvelope('cose', key, await key.certificateChain(),
      { target, signingTime: new Date('2023-03-14T04:45:22Z'), signingAgent: 'Notation/1.0.0' });
    await key.close();
    const ours = (decodeCbor(envelope.bytes) as CborTag).value as typeof theirs;
    expect(Buffer.from(ours[0]).toString('hex')).toBe(Buffer.from(theirs[0]).toString('hex'));
    expect(Buffer.from(ours[2]).toString()).toBe(Buffer.from(theirs[2]).toString());
    expect([...ours[1].keys()]).toEqual([...theirs[1].keys()]);
    expect(ours[1].get('io.cncf.notary.signingAgent')).toBe(theirs[1].get('io.cncf.notary.signingAgent'));
    expect(ours[3]).toHaveLength(theirs[3].length);
  });

  it('JWS: the same payload string and the same protected header but for the time spelling', async () => {
    const theirs = json<Jws>('notation-go/jws_signature.sig');
    const key = await e2eKey();
    const envelope = await createNotationEnvelope('jws', key, await key.certificateChain(),
      { target, signingTime: new Date('2023-03-14T16:10:02+08:00'), signingAgent: 'Notation/1.0.0' });
    await key.close();
    const ours = JSON.parse(new TextDecoder().decode(envelope.bytes)) as Jws;
    expect(ours.payload).toBe(theirs.payload);
    expect(b64url(ours.protected).toString()).toBe(b64url(theirs.protected).toString().replace('2023-03-14T16:10:02+08:00', '2023-03-14T08:10:02Z'));
  });
});
