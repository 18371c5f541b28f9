/**
 * The Notation trust policy parser, statement selection, and the evaluator on notation-go's mock
 * envelopes with notation-go's own verifier inputs (scope registry.acme-rockets.io/software/net-monitor,
 * trust store holding NotationTestRoot.pem): the verdicts its verifier tests assert.
 */
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { MediaType } from '../../../src/media-types.js';
import { evaluateNotationSignature, type NotationSignatureFacts } from '../../../src/verify/evaluate-notation.js';
import { parseNotationTrustPolicy, statementFor, type TrustPolicyStatement } from '../../../src/verify/notation-trust-policy.js';
import { openNotationTrustStore } from '../../../src/verify/notation-trust-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

const FIXTURES = new URL('../../fixtures/notation/', import.meta.url).pathname;
const work = tempDir('airsign-trust-');

const policyBytes = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
const statement = (over: Record<string, unknown> = {}) => ({
  name: 'test-statement-name',
  registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:valid-trust-store'],
  trustedIdentities: ['x509.subject:CN=Notation Test Root,O=Notary,L=Seattle,ST=WA,C=US'],
  ...over,
});
const parse = (...statements: unknown[]) => parseNotationTrustPolicy(policyBytes({ version: '1.0', trustPolicies: statements }));

describe('notation trust policy documents', () => {
  it('parses levels and applies overrides', () => {
    const p = parse(statement({ signatureVerification: { level: 'strict', override: { expiry: 'log', revocation: 'skip' } } }));
    expect(p.statements[0]!.actions).toEqual({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'skip' });
    expect(parse(statement({ signatureVerification: { level: 'audit' } })).statements[0]!.actions.authenticity).toBe('log');
  });

  it.each([
    ['a wrong version', { version: '2.0', trustPolicies: [statement()] }, /version "2.0"/],
    ['no statements', { version: '1.0', trustPolicies: [] }, /non-empty array/],
    ['duplicate names', { version: '1.0', trustPolicies: [statement(), statement({ registryScopes: ['a.io/b'] })] }, /same name/],
    ['a scope used twice', { version: '1.0', trustPolicies: [statement(), statement({ name: 'other' })] }, /used by more than one statement/],
    ['"*" with other scopes', { version: '1.0', trustPolicies: [statement({ registryScopes: ['*', 'a.io/b'] })] }, /must be the only scope/],
    ['a scope with a tag', { version: '1.0', trustPolicies: [statement({ registryScopes: ['a.io/b:1'] })] }, /no tag or digest/],
    ['an unknown level', { version: '1.0', trustPolicies: [statement({ signatureVerification: { level: 'lenient' } })] }, /not strict, permissive, audit or skip/],
    ['an integrity override', { version: '1.0', trustPolicies: [statement({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } })] }, /integrity validation cannot be overridden/],
    ['skip on authenticity', { version: '1.0', trustPolicies: [statement({ signatureVerification: { level: 'strict', override: { authenticity: 'skip' } } })] }, /override authenticity must be enforce or log/],
    ['skip with stores', { version: '1.0', trustPolicies: [statement({ signatureVerification: { level: 'skip' } })] }, /skip level must not list trust stores/],
    ['a bad store type', { version: '1.0', trustPolicies: [statement({ trustStores: ['root:x'] })] }, /"ca:<name>"/],
    ['an identity without C, ST, O', { version: '1.0', trustPolicies: [statement({ trustedIdentities: ['x509.subject:CN=x'] })] }, /must include C, ST and O/],
    ['"*" with other identities', { version: '1.0', trustPolicies: [statement({ trustedIdentities: ['*', 'x509.subject:C=US,ST=WA,O=x'] })] }, /only trusted identity/],
  ])('refuses %s', (_name, doc, message) => {
    expect(() => parseNotationTrustPolicy(policyBytes(doc))).toThrow(message);
    try {
      parseNotationTrustPolicy(policyBytes(doc));
    } catch (e) {
      expect((e as { code: string }).code).toBe('TRUST_POLICY_INVALID');
    }
  });

  it('picks the exact scope before the wildcard, and refuses when neither applies', () => {
    const p = parse(statement(), statement({ name: 'wild', registryScopes: ['*'] }));
    expect(statementFor(p, 'registry.acme-rockets.io/software/net-monitor').name).toBe('test-statement-name');
    expect(statementFor(p, 'other.io/x').name).toBe('wild');
    expect(statementFor(p, undefined).name).toBe('wild');
    expect(() => statementFor(parse(statement()), 'other.io/x')).toThrow(/no trust policy statement applies to "other.io\/x"/);
  });
});

describe('notation-go mock envelopes with notation-go verifier inputs', () => {
  const target = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e', size: 528 };
  const storeDir = join(work, 'store');
  mkdirSync(join(storeDir, 'x509', 'ca', 'valid-trust-store'), { recursive: true });
  cpSync(join(FIXTURES, 'notation-go', 'NotationTestRoot.pem'), join(storeDir, 'x509', 'ca', 'valid-trust-store', 'NotationTestRoot.pem'));
  mkdirSync(join(storeDir, 'x509', 'ca', 'other-store'), { recursive: true });
  cpSync(join(FIXTURES, 'e2e.crt'), join(storeDir, 'x509', 'ca', 'other-store', 'e2e.crt'));

  const facts = (file: string): NotationSignatureFacts => {
    try {
      return { signature: file, envelope: verifyNotationEnvelope(MediaType.Jws, new Uint8Array(readFileSync(join(FIXTURES, 'notation-go', 'mock', file)))) };
    } catch (e) {
      return { signature: file, integrityFailure: (e as Error).message };
    }
  };
  const evaluate = async (file: string, st: TrustPolicyStatement) => evaluateNotationSignature(facts(file), target, st, await openNotationTrustStore(storeDir));
  const levels = ['strict', 'permissive', 'audit'] as const;
  const withLevel = (level: string, over: Record<string, unknown> = {}) => parse(statement({ signatureVerification: { level }, ...over })).statements[0]!;

  it('ca_valid_sig_env.json: valid at strict, permissive and audit; the signer is the mock leaf', async () => {
    for (const level of levels) {
      const v = await evaluate('ca_valid_sig_env.json', withLevel(level));
      expect(v.verdict, level).toBe('valid');
      expect(v.signer).toBe('C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root');
    }
  });

  it('ca_valid_sig_env.json: a non-matching identity or a store without the root fails at strict/permissive, is logged at audit', async () => {
    const lol = { trustedIdentities: ['x509.subject:CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN'] };
    const otherStore = { trustStores: ['ca:other-store'] };
    for (const level of levels) {
      const identity = await evaluate('ca_valid_sig_env.json', withLevel(level, lol));
      const store = await evaluate('ca_valid_sig_env.json', withLevel(level, otherStore));
      if (level === 'audit') {
        expect(identity.verdict).toBe('valid');
        expect(identity.warnings.join()).toMatch(/does not match the X.509 trusted identities/);
        expect(store.verdict).toBe('valid');
      } else {
        expect(identity.verdict, level).toBe('invalid');
        expect(identity.reason).toMatch(/^trustedIdentity: /);
        expect(store.verdict, level).toBe('invalid');
        expect(store.reason).toMatch(/^authenticity: .*does not contain any trusted certificate/);
      }
    }
  });

  it('ca_expired_sig_env.json: expiry enforced at strict, logged at permissive and audit', async () => {
    const strict = await evaluate('ca_expired_sig_env.json', withLevel('strict'));
    expect(strict.verdict).toBe('invalid');
    expect(strict.reason).toBe('expiry: digital signature has expired on Fri, 29 Jul 2022 23:59:00 GMT');
    for (const level of ['permissive', 'audit']) {
      const v = await evaluate('ca_expired_sig_env.json', withLevel(level));
      expect(v.verdict, level).toBe('valid');
      expect(v.warnings.join()).toMatch(/expired on Fri, 29 Jul 2022/);
    }
  });

  it('ca_invalid_sig_env.json: integrity failure at every level but skip', async () => {
    for (const level of levels) {
      const v = await evaluate('ca_invalid_sig_env.json', withLevel(level));
      expect(v.verdict, level).toBe('invalid');
      expect(v.reason).toMatch(/^integrity: /);
    }
  });

  it('a signature for another artifact fails integrity', async () => {
    const v = await evaluateNotationSignature(facts('ca_valid_sig_env.json'), { ...target, digest: `sha256:${'0'.repeat(64)}` }, withLevel('strict'), await openNotationTrustStore(storeDir));
    expect(v.reason).toMatch(/^integrity: the signature is for .* not for /);
  });
});

describe('notation trust store', () => {
  it('refuses a store holding a non-CA certificate that is not self-signed, and a missing store', async () => {
    const dir = join(work, 'bad-store');
    mkdirSync(join(dir, 'x509', 'ca', 'mock'), { recursive: true });
    // the mock leaf: issued by NotationTestRoot, not a CA
    const env = JSON.parse(readFileSync(join(FIXTURES, 'notation-go', 'mock', 'ca_valid_sig_env.json'), 'utf8')) as { header: { x5c: string[] } };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'x509', 'ca', 'mock', 'leaf.pem'), `-----BEGIN CERTIFICATE-----\n${env.header.x5c[0]}\n-----END CERTIFICATE-----\n`);
    const store = await openNotationTrustStore(dir);
    await expect(store.certificates('ca', 'mock')).rejects.toThrow(/neither a CA nor self-signed/);
    await expect(store.certificates('ca', 'absent')).rejects.toThrow(/does not exist/);
    await expect(openNotationTrustStore(join(work, 'nothing'))).rejects.toThrow(/not a Notation trust store/);
  });
});
