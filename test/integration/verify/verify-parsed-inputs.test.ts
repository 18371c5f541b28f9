/**
 * The library's verify takes the trust material as parsed objects as well as paths (issue 15 item
 * 7): an embedder hands over the trust policy document, the trust store's certificates and public
 * KeyObjects without writing files, and reaches the same verdicts as with the files. Missing inputs
 * are named by their option fields in `details`.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAirsignError } from '../../../src/errors.js';
import { verifyLayout } from '../../../src/operations/verify.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const LAYOUT = join(FIXTURES, 'notation-layouts', 'e2e-valid-signature');
const POLICY = JSON.parse(readFileSync(join(FIXTURES, 'notation', 'trustpolicies', 'trustpolicy.json'), 'utf8')) as Record<string, unknown>;
const E2E_DER = new Uint8Array(Buffer.from(readFileSync(join(FIXTURES, 'notation', 'e2e.crt'), 'utf8').replace(/-----[^-]+-----|\s+/g, ''), 'base64'));

describe('verifyLayout with parsed trust material', () => {
  it('a trust policy object and trust store certificates verify the e2e layout; another certificate fails it', async () => {
    const ok = await verifyLayout(LAYOUT, { trustPolicy: POLICY, trustStore: { 'ca:e2e': [E2E_DER] } });
    expect(ok.verified).toBe(true);
    expect(ok.requirements).toEqual([expect.objectContaining({ format: 'notation', satisfied: true, requiredBy: '--trust-policy' })]);
    const other = await verifyLayout(LAYOUT, { trustPolicy: POLICY, trustStore: { 'ca:other': [E2E_DER] } });
    expect(other.verified).toBe(false);
    expect(other.signatures[0]!.reason).toMatch(/^authenticity: /);
  });

  it('refuses a trust store entry that is not a certificate (input error); takes a public KeyObject as a cosign key', async () => {
    await expect(verifyLayout(LAYOUT, { trustPolicy: POLICY, trustStore: { 'ca:e2e': [new Uint8Array([1, 2, 3])] } })).rejects.toMatchObject({ code: 'TRUST_STORE_INVALID' });
    const publicKey = createPublicKey(readFileSync(join(FIXTURES, 'sigstore', 'cosign.pub')));
    const report = await verifyLayout(LAYOUT, { keys: [publicKey], formats: ['cosign'] });
    expect(report.verified).toBe(false);
    expect(report.requirements[0]!.reason).toMatch(/^no cosign \.sig signature/);
  });

  it('names every missing input by its option field in details', async () => {
    try {
      await verifyLayout(LAYOUT, { trustPolicy: { ...POLICY, trustPolicies: [...(POLICY.trustPolicies as object[]), { name: 'scoped', registryScopes: ['registry.example/app'], signatureVerification: { level: 'skip' } }] }, formats: ['gpg'] });
      expect.unreachable();
    } catch (e) {
      expect(isAirsignError(e) && e.code).toBe('VERIFY_NEEDS_INPUT');
      expect(isAirsignError(e) && e.details).toEqual({ missing: ['identity', 'trustStore', 'keyring', 'lookaside'] });
    }
  });
});
