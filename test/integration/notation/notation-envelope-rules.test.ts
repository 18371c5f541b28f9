/**
 * notation-core-go's verdicts on envelope details (issue 15): the authentic signing time header
 * under the notary.x509 scheme, JSON keys that differ from the spec's only in case (read as Go's
 * encoding/json reads them), a signing time before the leaf's notBefore (integrity passes no time),
 * and an anyExtendedKeyUsage leaf (allowed). Envelopes are signed here with notation's e2e key.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateNotationChain } from '../../../src/formats/notation/notation-chain.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { MediaType } from '../../../src/media-types.js';
import { evaluateNotationSignature } from '../../../src/verify/evaluate-notation.js';
import { parseNotationTrustPolicy } from '../../../src/verify/notation-trust-policy.js';
import { pemToDer } from '../../helpers/notation-pki.js';
import { testTempDir } from '../../helpers/temp-dir.js';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/notation/${p}`, import.meta.url), 'utf8');
const KEY = createPrivateKey(fixture('e2e.key'));
const CERT = pemToDer(fixture('e2e.crt'))[0]!;
const TARGET = { mediaType: MediaType.OciManifest, digest: `sha256:${'1'.repeat(64)}`, size: 3 };
const HEADER = {
  alg: 'PS256',
  crit: ['io.cncf.notary.signingScheme'],
  cty: MediaType.NotaryPayload,
  'io.cncf.notary.signingScheme': 'notary.x509',
  'io.cncf.notary.signingTime': '2024-01-01T00:00:00Z',
};

function jwsText(protectedJson: string, payloadJson: string = JSON.stringify({ targetArtifact: TARGET })): Uint8Array {
  const protectedB64 = Buffer.from(protectedJson).toString('base64url');
  const payloadB64 = Buffer.from(payloadJson).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key: KEY, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64url');
  return Buffer.from(JSON.stringify({ payload: payloadB64, protected: protectedB64, header: { x5c: [Buffer.from(CERT).toString('base64')] }, signature }));
}
const jws = (header: Record<string, unknown>, payload?: string) => jwsText(JSON.stringify(header), payload);

function outcome(bytes: Uint8Array): string {
  try {
    verifyNotationEnvelope(MediaType.Jws, bytes);
    return 'accepted';
  } catch (e) {
    const { code, details } = e as { code?: string; details?: { rule?: string } };
    return details?.rule === undefined ? String(code) : `${code}/${details.rule}`;
  }
}

describe('signing scheme time headers', () => {
  it('refuses io.cncf.notary.authenticSigningTime under notary.x509, as notation-core-go does', () => {
    expect(outcome(jws({ ...HEADER, 'io.cncf.notary.authenticSigningTime': '2024-01-01T00:00:00Z' }))).toBe('NOTATION_ENVELOPE_MALFORMED');
    expect(outcome(jws(HEADER))).toBe('accepted');
  });
});

describe('JSON keys read as Go\'s encoding/json reads them', () => {
  it('an expiry spelled IO.CNCF.NOTARY.EXPIRY is the expiry: honoured when marked critical by its name, refused when not marked', () => {
    const expiry = { 'IO.CNCF.NOTARY.EXPIRY': '2025-01-01T00:00:00Z' };
    const marked = jws({ ...HEADER, ...expiry, crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'] });
    expect(outcome(marked)).toBe('accepted');
    expect(verifyNotationEnvelope(MediaType.Jws, marked).expiry?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(outcome(jws({ ...HEADER, ...expiry }))).toBe('NOTATION_BAD_CRITICAL');
  });

  it('the last of several spellings wins', () => {
    const text = `{"alg":"PS256","crit":["io.cncf.notary.signingScheme"],"cty":"${MediaType.NotaryPayload}","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2024-01-01T00:00:00Z","IO.CNCF.NOTARY.SIGNINGTIME":"2024-02-02T00:00:00Z"}`;
    expect(verifyNotationEnvelope(MediaType.Jws, jwsText(text)).signingTime.toISOString()).toBe('2024-02-02T00:00:00.000Z');
  });

  it('a key written twice counts at its last place: signingTime, SIGNINGTIME, signingTime gives the third', () => {
    const text = `{"alg":"PS256","crit":["io.cncf.notary.signingScheme"],"cty":"${MediaType.NotaryPayload}","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2024-01-01T00:00:00Z","IO.CNCF.NOTARY.SIGNINGTIME":"2024-02-02T00:00:00Z","io.cncf.notary.signingTime":"2024-03-03T00:00:00Z"}`;
    expect(verifyNotationEnvelope(MediaType.Jws, jwsText(text)).signingTime.toISOString()).toBe('2024-03-03T00:00:00.000Z');
  });

  it('a payload with TargetArtifact / Digest / MediaType / Size names the target', () => {
    const payload = JSON.stringify({ TargetArtifact: { MediaType: TARGET.mediaType, Digest: TARGET.digest, SIZE: TARGET.size } });
    expect(verifyNotationEnvelope(MediaType.Jws, jws(HEADER, payload)).payload.targetArtifact).toEqual(TARGET);
  });
});

describe('certificate validity and purposes', () => {
  it('a signing time before the leaf\'s notBefore passes integrity (notation-core-go checks the chain with no time), and the signature is valid', async () => {
    const bytes = jws({ ...HEADER, 'io.cncf.notary.signingTime': '2021-01-01T00:00:00Z' });
    expect(outcome(bytes)).toBe('accepted');
    const st = parseNotationTrustPolicy(new TextEncoder().encode(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'strict', override: { revocation: 'skip' } }, trustStores: ['ca:e2e'], trustedIdentities: ['*'] }] }))).statements[0]!;
    const store = { certificates: () => Promise.resolve([{ der: CERT, file: 'e2e.crt' }]) };
    const v = await evaluateNotationSignature({ signature: 's', envelope: verifyNotationEnvelope(MediaType.Jws, bytes) }, TARGET, st, store);
    expect(v.verdict).toBe('valid');
  });

  it('accepts a leaf whose extended key usage is anyExtendedKeyUsage, as notation-core-go does', () => {
    const dir = testTempDir('airsign-anyeku-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      '-days', '10', '-subj', '/C=US/ST=WA/O=Acme/CN=any', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=anyExtendedKeyUsage'], { stdio: 'ignore' });
    const cert = pemToDer(readFileSync(join(dir, 'c.pem'), 'utf8'))[0]!;
    const spki = createPublicKey(createPrivateKey(readFileSync(join(dir, 'k.pem')))).export({ format: 'der', type: 'spki' });
    expect(validateNotationChain([cert], new Uint8Array(spki))).toBe('ES256');
  });
});
