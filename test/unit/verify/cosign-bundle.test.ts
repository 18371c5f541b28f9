/**
 * The cosign v3 bundle check (src/formats/cosign/verify-cosign-bundle.ts) and its verdict
 * (src/verify/evaluate-cosign-bundle.ts) on bundles built here with node:crypto keys: a good one
 * is valid and @sigstore/verify agrees; each way a bundle can be wrong gets the reason naming it.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cosignSignStatement, dssePae, sigstoreBundleJson } from '../../../src/formats/cosign/sigstore-bundle.js';
import { cosignBundleFacts, evaluateCosignBundle } from '../../../src/verify/evaluate-cosign-bundle.js';
import { verifyBundleWithSigstoreJs } from '../../helpers/sigstore-verify.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

function bundle(statement: Uint8Array, key: KeyObject = privateKey, payloadType = 'application/vnd.in-toto+json'): Record<string, unknown> {
  const signature = sign('sha256', dssePae(payloadType, statement), key);
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  const doc = JSON.parse(Buffer.from(sigstoreBundleJson({ spki, payload: statement, signature })).toString('utf8')) as Record<string, unknown>;
  (doc.dsseEnvelope as Record<string, unknown>).payloadType = payloadType;
  return doc;
}

function verdict(doc: Record<string, unknown>, keys: KeyObject[] = [publicKey], identity?: string) {
  const facts = cosignBundleFacts(Buffer.from(JSON.stringify(doc)), 'sha256:referrer', keys, keys.map((_, i) => `key-${i + 1}`));
  return evaluateCosignBundle(facts, { targetDigest: DIGEST, ...(identity === undefined ? {} : { identity }) });
}

describe('cosign bundle verdicts', () => {
  it('a bundle signed over the image digest is valid, as @sigstore/verify says', () => {
    const doc = bundle(cosignSignStatement(DIGEST, {}));
    const v = verdict(doc, [other, publicKey]);
    expect(v).toMatchObject({ format: 'cosign-bundle', verdict: 'valid', signer: 'key-2', target: DIGEST });
    expect(v.checks.find((c) => c.check === 'identity')).toBeUndefined();
    expect(verifyBundleWithSigstoreJs(Buffer.from(JSON.stringify(doc)), publicKey.export({ format: 'pem', type: 'spki' }).toString()).statement.predicateType).toBe('https://sigstore.dev/cosign/sign/v1');
  });

  it('names each failure', () => {
    expect(verdict(bundle(cosignSignStatement(DIGEST, {})), [other]).reason).toMatch(/^integrity: the bundle's DSSE signature does not verify with the public key/);
    expect(verdict(bundle(cosignSignStatement(`sha256:${'cd'.repeat(32)}`, {}))).reason).toBe(`digest: the bundle's statement is for sha256:${'cd'.repeat(32)}, not the image ${DIGEST}`);
    const attestation = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: 'ab'.repeat(32) } }], predicateType: 'https://slsa.dev/provenance/v1', predicate: {} }));
    expect(verdict(bundle(attestation)).reason).toMatch(/predicate type "https:\/\/slsa\.dev\/provenance\/v1".*it is an attestation, not a signature/);
    expect(verdict(bundle(cosignSignStatement(DIGEST, {}), privateKey, 'text/plain')).reason).toMatch(/payloadType is "text\/plain"/);
    const keyless = bundle(cosignSignStatement(DIGEST, {}));
    keyless.verificationMaterial = { certificate: { rawBytes: 'AAAA' } };
    expect(verdict(keyless).reason).toMatch(/certificate-based \(keyless\)/);
    const two = bundle(cosignSignStatement(DIGEST, {}));
    const envelope = two.dsseEnvelope as { signatures: unknown[] };
    envelope.signatures.push(envelope.signatures[0]);
    expect(verdict(two).reason).toMatch(/exactly one signature/);
    expect(evaluateCosignBundle(cosignBundleFacts(Buffer.from('not json'), 'x', [publicKey], ['k']), { targetDigest: DIGEST }).reason).toMatch(/^integrity: the Sigstore bundle is not valid: not JSON \(/);
  });

  it('an identity asked for is reported as not checked (the statement names none); tlog entries likewise', () => {
    const doc = bundle(cosignSignStatement(DIGEST, {}));
    (doc.verificationMaterial as Record<string, unknown>).tlogEntries = [{}];
    const v = verdict(doc, [publicKey], 'registry.example/app:1');
    expect(v.verdict).toBe('valid');
    expect(v.warnings).toEqual([
      'identity: a cosign bundle names no image reference (cosign ties it to the image by digest only), so it is not matched against registry.example/app:1',
      'transparencyLog: transparency-log entries and timestamps in the bundle are not checked offline',
    ]);
  });
});
