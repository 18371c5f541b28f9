/**
 * The verifier's header and algorithm rules on hand-built envelopes (signed with notation's e2e
 * RSA-2048 key through node:crypto), the chain rules on notation-core-go's minimal certificate, and
 * Go-compatible JSON text.
 */
import { X509Certificate, constants, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CborTag, encodeCbor, type CborValue } from '../../../src/formats/cbor.js';
import { coseSigStructure } from '../../../src/formats/notation/cose-envelope.js';
import { GoMap, goJson, goJsonSorted } from '../../../src/go-json.js';
import { notationAlgorithmFor } from '../../../src/formats/notation/notation-algorithm.js';
import { validateNotationChain } from '../../../src/formats/notation/notation-chain.js';
import { parseNotationCertificate } from '../../../src/formats/notation/notation-certificate.js';
import { buildNotationSignatureManifest } from '../../../src/formats/notation/signature-manifest.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { MediaType } from '../../../src/media-types.js';
import { pemToDer } from '../../helpers/pem.js';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/notation/${p}`, import.meta.url), 'utf8');
const KEY = createPrivateKey(fixture('e2e.key'));
const CERT = pemToDer(fixture('e2e.crt'))[0]!;
const PAYLOAD = Buffer.from(JSON.stringify({ targetArtifact: { mediaType: MediaType.OciManifest, digest: `sha256:${'1'.repeat(64)}`, size: 3 } }));
const BASE_HEADER = {
  alg: 'PS256',
  crit: ['io.cncf.notary.signingScheme'],
  cty: MediaType.NotaryPayload,
  'io.cncf.notary.signingScheme': 'notary.x509',
  'io.cncf.notary.signingTime': '2024-01-01T00:00:00Z',
};

function pss(data: Uint8Array, saltLength: number = constants.RSA_PSS_SALTLEN_DIGEST): Buffer {
  return sign('sha256', data, { key: KEY, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
}

function jws(header: Record<string, unknown>, options: { saltLength?: number; x5c?: unknown } = {}): Uint8Array {
  const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url');
  const payloadB64 = PAYLOAD.toString('base64url');
  const signature = pss(Buffer.from(`${protectedB64}.${payloadB64}`), options.saltLength).toString('base64url');
  return Buffer.from(JSON.stringify({ payload: payloadB64, protected: protectedB64, header: { x5c: options.x5c ?? [Buffer.from(CERT).toString('base64')] }, signature }));
}

function cose(header: Map<CborValue, CborValue>, options: { saltLength?: number; x5chain?: CborValue; tag?: number } = {}): Uint8Array {
  const protectedBytes = encodeCbor(header);
  const signature = pss(coseSigStructure(protectedBytes, PAYLOAD), options.saltLength);
  const unprotected = new Map<CborValue, CborValue>([[33, options.x5chain ?? [CERT]]]);
  return encodeCbor(new CborTag(options.tag ?? 18, [protectedBytes, unprotected, new Uint8Array(PAYLOAD), new Uint8Array(signature)]));
}

function coseHeader(extra: [CborValue, CborValue][] = []): Map<CborValue, CborValue> {
  return new Map<CborValue, CborValue>([
    [1, -37], [2, ['io.cncf.notary.signingScheme']], [3, MediaType.NotaryPayload],
    ['io.cncf.notary.signingScheme', 'notary.x509'], ['io.cncf.notary.signingTime', new CborTag(1, 1704067200)], ...extra,
  ]);
}

/** The error code; for a chain rule broken at verification, `NOTATION_CHAIN_REJECTED/<rule>`. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    const { code, details } = e as { code?: string; details?: { rule?: string } };
    return details?.rule === undefined ? code : `${code}/${details.rule}`;
  }
  return 'no error';
}

describe('verifier header rules (JWS)', () => {
  it('accepts the well-formed base case and any PSS salt length (as golang-jwt does)', () => {
    expect(verifyNotationEnvelope(MediaType.Jws, jws(BASE_HEADER)).algorithm).toBe('PS256');
    expect(verifyNotationEnvelope(MediaType.Jws, jws(BASE_HEADER, { saltLength: 0 })).algorithm).toBe('PS256');
  });

  it.each([
    ['an alg that does not fit the leaf key', { alg: 'PS384' }, 'NOTATION_ALG_MISMATCH'],
    ['RS256', { alg: 'RS256' }, 'NOTATION_ENVELOPE_MALFORMED'],
    ['a wrong content type', { cty: 'application/json' }, 'NOTATION_ENVELOPE_MALFORMED'],
    ['an empty crit', { crit: [] }, 'NOTATION_ENVELOPE_MALFORMED'],
    ['a crit without the signing scheme', { crit: ['io.cncf.notary.signingTime'] }, 'NOTATION_BAD_CRITICAL'],
    ['a critical header that is absent', { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] }, 'NOTATION_BAD_CRITICAL'],
    ['a critical plugin header', { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin'], 'io.cncf.notary.verificationPlugin': 'x' }, 'NOTATION_BAD_CRITICAL'],
    ['an expiry that is not critical', { 'io.cncf.notary.expiry': '2025-01-01T00:00:00Z' }, 'NOTATION_BAD_CRITICAL'],
    ['an expiry before the signing time', { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': '2023-01-01T00:00:00Z' }, 'NOTATION_EXPIRY_BEFORE_SIGNING'],
    ['an unknown signing scheme', { 'io.cncf.notary.signingScheme': 'notary.default.x509' }, 'NOTATION_ENVELOPE_MALFORMED'],
    ['a signing time that is not RFC 3339', { 'io.cncf.notary.signingTime': '2024-01-01 00:00:00' }, 'NOTATION_ENVELOPE_MALFORMED'],
  ])('rejects %s', (_name, change, code) => {
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Jws, jws({ ...BASE_HEADER, ...change })))).toBe(code);
  });

  it('rejects a missing or non-base64 x5c, and compact serialization', () => {
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Jws, jws(BASE_HEADER, { x5c: [] })))).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Jws, jws(BASE_HEADER, { x5c: ['not base64!'] })))).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Jws, jws(BASE_HEADER, { x5c: ['AAAA'] })))).toBe('NOTATION_CHAIN_REJECTED/NOTATION_CERT_MALFORMED');
    const j = JSON.parse(Buffer.from(jws(BASE_HEADER)).toString()) as Record<string, string>;
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Jws, Buffer.from(`${j.protected}.${j.payload}.${j.signature}`)))).toBe('NOTATION_ENVELOPE_MALFORMED');
  });
});

describe('verifier header rules (COSE)', () => {
  it('accepts the well-formed base case', () => {
    expect(verifyNotationEnvelope(MediaType.Cose, cose(coseHeader())).signingTime.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('requires PSS salt = hash length, as go-cose does', () => {
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Cose, cose(coseHeader(), { saltLength: 20 })))).toBe('NOTATION_SIGNATURE_INVALID');
  });

  it('rejects x5chain as a bare byte string, an untagged message and a time without tag 1', () => {
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Cose, cose(coseHeader(), { x5chain: CERT })))).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Cose, cose(coseHeader(), { tag: 98 })))).toBe('NOTATION_ENVELOPE_MALFORMED');
    const untaggedTime = coseHeader();
    untaggedTime.set('io.cncf.notary.signingTime', 1704067200);
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Cose, cose(untaggedTime)))).toBe('NOTATION_ENVELOPE_MALFORMED');
    const wrongAlg = coseHeader();
    wrongAlg.set(1, -7);
    expect(codeOf(() => verifyNotationEnvelope(MediaType.Cose, cose(wrongAlg)))).toBe('NOTATION_ALG_MISMATCH');
  });
});

describe('chain rules', () => {
  it('accept notation-core-go\'s minimal self-signed certificate (no CN, no basicConstraints) as a one-certificate chain', () => {
    const cert = pemToDer(fixture('notation-core/openssl-minimum-self-signed.pem'))[0]!;
    const spki = new Uint8Array(new X509Certificate(cert).publicKey.export({ format: 'der', type: 'spki' }));
    expect(validateNotationChain([cert], spki, { at: new Date('2030-01-01T00:00:00Z') })).toBe('PS512');
  });

  it('refuse Ed25519 and odd RSA sizes by key type', () => {
    expect(codeOf(() => notationAlgorithmFor('ed25519'))).toBe('NOTATION_KEY_UNSUPPORTED');
    expect(notationAlgorithmFor('rsa-3072')).toBe('PS384');
    expect(notationAlgorithmFor('ecdsa-p521')).toBe('ES512');
  });
});

describe('certificate facts read from DER', () => {
  const fail = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('reads validity, key usage, EKU and basic constraints as OpenSSL prints them', () => {
    const e2e = parseNotationCertificate(CERT, fail as never);
    expect([e2e.notBefore.toISOString(), e2e.notAfter.toISOString()]).toEqual(['2022-12-19T02:43:39.000Z', '2122-12-19T02:43:39.000Z']);
    expect(e2e.keyUsage).toEqual({ flags: 1, critical: true });
    expect(e2e.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
    expect(e2e.basicConstraints).toBeUndefined();
    expect(e2e.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
    expect(e2e.sha256).toBe('e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9');
    const root = parseNotationCertificate(pemToDer(fixture('notation-go/NotationTestRoot.pem'))[0]!, fail as never);
    expect(root.keyUsage).toEqual({ flags: 32, critical: true });
    expect(root.basicConstraints).toEqual({ ca: true, pathLen: 1, critical: true });
    expect(root.notBefore.toISOString()).toBe('2020-09-09T07:00:00.000Z');
  });

  it('rejects truncated or padded DER', () => {
    expect(codeOf(() => parseNotationCertificate(CERT.subarray(0, CERT.length - 1), fail as never))).toBe('NOTATION_CERT_MALFORMED');
    expect(codeOf(() => parseNotationCertificate(new Uint8Array([...CERT, 0]), fail as never))).toBe('NOTATION_CERT_MALFORMED');
  });
});

describe('signature manifest input checks', () => {
  const subject = { mediaType: MediaType.OciManifest, digest: `sha256:${'1'.repeat(64)}`, size: 3 };
  const envelope = { mediaType: MediaType.Jws, bytes: new Uint8Array([1]) };
  it('refuses an unknown variant and an empty chain', () => {
    expect(codeOf(() => buildNotationSignatureManifest({ subject, envelope, chain: [CERT], created: new Date(), variant: 'v2' as never }))).toBe('NOTATION_BAD_MANIFEST_VARIANT');
    expect(codeOf(() => buildNotationSignatureManifest({ subject, envelope, chain: [], created: new Date() }))).toBe('NOTATION_NO_CERTIFICATE');
  });
  it('lists one thumbprint per certificate, lower-case, in chain order', () => {
    const root = pemToDer(fixture('notation-go/NotationTestRoot.pem'))[0]!;
    const m = buildNotationSignatureManifest({ subject, envelope, chain: [CERT, root], created: new Date(), variant: 'legacy' });
    expect(JSON.parse(m.descriptor.annotations!['io.cncf.notary.x509chain.thumbprint#S256']!)).toEqual([
      'e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9', '86df80412a63eb55b5c7a4ad6a8c396ce3188c167c6226da1b5bbbee8443d644']);
  });
});

describe('Go-compatible JSON', () => {
  it('escapes as encoding/json does and sorts Go maps', () => {
    expect(goJson({ b: '<a & "b">\u2028\n\u0001\u0008', a: 1 })).toBe('{"b":"\\u003ca \\u0026 \\"b\\"\\u003e\\u2028\\n\\u0001\\u0008","a":1}');
    expect(goJsonSorted({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(goJson({ z: 1, m: new GoMap({ '2': 'x', '10': 'y', b: 'z' }) })).toBe('{"z":1,"m":{"10":"y","2":"x","b":"z"}}');
  });
});
