/** Our verifier against envelopes notation itself wrote (notation-go, notation e2e), valid and broken. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { MediaType } from '../../../src/media-types.js';

const fixture = (p: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/notation/${p}`, import.meta.url)));
const text = (p: string) => readFileSync(new URL(`../../fixtures/notation/${p}`, import.meta.url), 'utf8');

function failure(fn: () => unknown): { code?: string; kind?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; kind?: string; message: string };
  }
  throw new Error('expected a failure');
}

const ALPINE_TARGET = {
  mediaType: MediaType.OciManifest,
  digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0',
  size: 481,
};

describe('verifyNotationEnvelope on notation-go vectors', () => {
  it('accepts the CLI-made JWS envelope (PS256, signing time with a +08:00 offset)', () => {
    const result = verifyNotationEnvelope(MediaType.Jws, fixture('notation-go/jws_signature.sig'));
    expect(result.payload.targetArtifact).toEqual(ALPINE_TARGET);
    expect(result.algorithm).toBe('PS256');
    expect(result.signingTime.toISOString()).toBe('2023-03-14T08:10:02.000Z');
    expect(result.signingAgent).toBe('Notation/1.0.0');
    expect(result.chain).toHaveLength(1);
    expect(result.expiry).toBeUndefined();
  });

  it('accepts the CLI-made COSE envelope (PS256, tag 1 signing time)', () => {
    const result = verifyNotationEnvelope(MediaType.Cose, fixture('notation-go/cose_signature.sig'));
    expect(result.payload.targetArtifact).toEqual(ALPINE_TARGET);
    expect(result.algorithm).toBe('PS256');
    expect(result.signingTime.toISOString()).toBe('2023-03-14T04:45:22.000Z');
  });

  it('accepts the mock envelopes whose leaf shares its DN with the root (chain built on signatures), expired or not', () => {
    for (const name of ['ca_valid_sig_env.json', 'ca_expired_sig_env.json']) {
      const result = verifyNotationEnvelope(MediaType.Jws, fixture(`notation-go/mock/${name}`));
      expect(result.algorithm).toBe('PS384');
      expect(result.chain).toHaveLength(2);
      expect(result.expiry).toBeDefined();
      // The capital-S "SigningAgent" spelling is ignored, not an error.
      expect(result.signingAgent).toBeUndefined();
    }
  });

  it('rejects the mock envelope whose payload carries base64 padding', () => {
    const error = failure(() => verifyNotationEnvelope(MediaType.Jws, fixture('notation-go/mock/ca_invalid_sig_env.json')));
    expect(error.kind).toBe('verification');
    expect(error.code).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(error.message).toContain('payload');
  });

  it('rejects a JWS envelope given as COSE and the other way round', () => {
    expect(failure(() => verifyNotationEnvelope(MediaType.Cose, fixture('notation-go/jws_signature.sig'))).code).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(failure(() => verifyNotationEnvelope(MediaType.Jws, fixture('notation-go/cose_signature.sig'))).code).toBe('NOTATION_ENVELOPE_MALFORMED');
  });
});

describe('verifyNotationEnvelope on notation e2e layouts', () => {
  it('accepts e2e-valid-signature and reads its target from the payload', () => {
    const manifest = JSON.parse(text('e2e-valid-signature/signature-manifest.json')) as { layers: { mediaType: string }[]; subject: unknown };
    const result = verifyNotationEnvelope(manifest.layers[0]!.mediaType, fixture('e2e-valid-signature/envelope.jws'));
    expect(result.payload.targetArtifact).toEqual(manifest.subject);
    expect(result.signingTime.toISOString()).toBe('2023-06-27T05:30:33.000Z');
  });

  it('accepts e2e-with-timestamped-signature and hands out its RFC 3161 token, expiry and signed annotations', () => {
    const result = verifyNotationEnvelope(MediaType.Jws, fixture('e2e-with-timestamped-signature/envelope.jws'));
    const manifest = JSON.parse(text('e2e-with-timestamped-signature/signature-manifest.json')) as { subject: object };
    expect(result.payload.targetArtifact).toEqual({ ...manifest.subject, annotations: { purpose: 'e2e' } });
    expect(result.expiry?.toISOString()).toBe('2025-01-21T12:39:46.000Z');
    expect(result.signingAgent).toBe('notation-go/1.3.0+unreleased');
    expect(result.timestampToken?.[0]).toBe(0x30); // a DER SEQUENCE (ContentInfo)
    expect(result.timestampToken!.length).toBeGreaterThan(1000);
  });

  it('rejects e2e-invalid-signature: its layer is not an envelope media type, and its bytes are no envelope either', () => {
    const manifest = JSON.parse(text('e2e-invalid-signature/signature-manifest.json')) as { layers: { mediaType: string }[] };
    const layer = fixture('e2e-invalid-signature/layer.txt');
    const wrongType = failure(() => verifyNotationEnvelope(manifest.layers[0]!.mediaType, layer));
    expect(wrongType.code).toBe('NOTATION_UNSUPPORTED_MEDIA_TYPE');
    expect(wrongType.kind).toBe('verification');
    expect(failure(() => verifyNotationEnvelope(MediaType.Jws, layer)).code).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(failure(() => verifyNotationEnvelope(MediaType.Cose, layer)).code).toBe('NOTATION_ENVELOPE_MALFORMED');
  });

  it('rejects the e2e envelope after any change to what is signed', () => {
    const original = JSON.parse(text('e2e-valid-signature/envelope.jws')) as Record<string, string>;
    const payload = JSON.parse(Buffer.from(original.payload!, 'base64url').toString()) as { targetArtifact: { size: number } };
    payload.targetArtifact.size += 1;
    const changedPayload = { ...original, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') };
    const sig = Buffer.from(original.signature!, 'base64url');
    sig[10]! ^= 1;
    const changedSignature = { ...original, signature: sig.toString('base64url') };
    for (const changed of [changedPayload, changedSignature]) {
      const error = failure(() => verifyNotationEnvelope(MediaType.Jws, new TextEncoder().encode(JSON.stringify(changed))));
      expect(error.code).toBe('NOTATION_SIGNATURE_INVALID');
    }
  });

  it('rejects the e2e envelope with a leaf certificate of another key (new_e2e.crt has the same key: accepted)', () => {
    const original = JSON.parse(text('e2e-valid-signature/envelope.jws')) as { header: { x5c: string[] } };
    const otherCertSameKey = text('new_e2e.crt').replace(/-----[A-Z ]+-----|\s/g, '');
    const swapped = { ...original, header: { ...original.header, x5c: [otherCertSameKey] } };
    // Same key, other certificate: integrity holds (whether that certificate is trusted is the trust policy's call).
    const result = verifyNotationEnvelope(MediaType.Jws, new TextEncoder().encode(JSON.stringify(swapped)));
    expect(result.chain[0]).toEqual(new Uint8Array(Buffer.from(otherCertSameKey, 'base64')));
    const alpine = text('notation-go/alpine-signing-cert.derived.pem').replace(/-----[A-Z ]+-----|\s/g, '');
    const otherKey = { ...original, header: { ...original.header, x5c: [alpine] } };
    expect(failure(() => verifyNotationEnvelope(MediaType.Jws, new TextEncoder().encode(JSON.stringify(otherKey)))).code).toBe('NOTATION_SIGNATURE_INVALID');
  });
});
