/**
 * notation-go's verdicts on trust policy files and on matching a signing certificate to trusted
 * identities (issue 15): overlapping identities, multi-valued RDNs and lower-case types in a
 * policy; duplicate attributes and attributes Go prints as `OID=#hex` in a leaf; JSON keys read as
 * Go's encoding/json reads them. Certificates are made with OpenSSL (a test peer).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifiedNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { evaluateNotationSignature } from '../../../src/verify/evaluate-notation.js';
import { parseNotationTrustPolicy } from '../../../src/verify/notation-trust-policy.js';
import { openNotationTrustStore } from '../../../src/verify/notation-trust-store.js';
import { pemToDer } from '../../helpers/notation-pki.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-policy-rules-');
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });

const bytes = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
const statement = (over: Record<string, unknown> = {}) => ({
  name: 's', registryScopes: ['registry.example/app'], signatureVerification: { level: 'strict' },
  trustStores: ['ca:test'], trustedIdentities: ['x509.subject:C=US,ST=WA,O=Acme'], ...over,
});
const policy = (...statements: unknown[]) => parseNotationTrustPolicy(bytes({ version: '1.0', trustPolicies: statements }));
const refusal = (doc: unknown): string => {
  try {
    parseNotationTrustPolicy(bytes(doc));
    return 'accepted';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('trust policy files notation-go refuses (exit 2, TRUST_POLICY_INVALID)', () => {
  it.each([
    ['overlapping identities (one a subset of the other)', ['x509.subject:C=US,ST=WA,O=Acme', 'x509.subject:C=US,ST=WA,O=Acme,CN=release']],
    ['the same identity twice', ['x509.subject:C=US,ST=WA,O=Acme', 'x509.subject:C=US, ST=WA, O=Acme']],
    ['a multi-valued RDN', ['x509.subject:C=US,ST=WA,O=Acme+CN=release']],
    ['lower-case mandatory types', ['x509.subject:c=US,st=WA,o=Acme']],
    ['an attribute given twice', ['x509.subject:C=US,ST=WA,O=Acme,O=Other']],
    ['S and ST together', ['x509.subject:C=US,S=WA,ST=WA,O=Acme']],
    ['a BER (#hex) value', ['x509.subject:C=US,ST=WA,O=Acme,CN=#0c0161']],
    ['an empty identity', ['']],
    ['an identity without a prefix', ['C=US,ST=WA,O=Acme']],
  ])('%s', (_name, trustedIdentities) => {
    expect(refusal({ version: '1.0', trustPolicies: [statement({ trustedIdentities })] })).toBe('TRUST_POLICY_INVALID');
  });

  it.each([
    ['S for ST, and any spacing', ['x509.subject: C = US , S=WA,O=Acme ']],
    ['identities that differ', ['x509.subject:C=US,ST=WA,O=Acme,CN=a', 'x509.subject:C=US,ST=WA,O=Acme,CN=b']],
    ['an identity of another type (left to plugins)', ['x509.subject:C=US,ST=WA,O=Acme', 'x509.other:anything']],
    ['; as an RDN separator', ['x509.subject:C=US;ST=WA;O=Acme']],
  ])('accepts %s, as notation-go does', (_name, trustedIdentities) => {
    expect(refusal({ version: '1.0', trustPolicies: [statement({ trustedIdentities })] })).toBe('accepted');
  });

  it('reads keys as Go\'s encoding/json does: case-insensitive field names, the last match wins; override keys are exact', () => {
    const doc = { Version: '1.0', TRUSTPOLICIES: [{ Name: 's', RegistryScopes: ['registry.example/app'], signatureverification: { LEVEL: 'audit', override: { expiry: 'enforce' } }, trustStores: ['ca:test'], TrustedIdentities: ['*'] }] };
    const p = parseNotationTrustPolicy(bytes(doc));
    expect(p.statements[0]!.level).toBe('audit');
    expect(p.statements[0]!.actions.expiry).toBe('enforce');
    // the later spelling wins
    const later = parseNotationTrustPolicy(new TextEncoder().encode('{"version":"2.0","Version":"1.0","trustPolicies":[{"name":"s","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}'));
    expect(later.statements[0]!.name).toBe('s');
    // a key written twice counts at its last place, as Go assigns members in document order ("1.0" wins, not "2.0")
    const again = parseNotationTrustPolicy(new TextEncoder().encode('{"version":"1.0","Version":"2.0","version":"1.0","trustPolicies":[{"name":"s","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}'));
    expect(again.statements[0]!.name).toBe('s');
    expect(refusal({ ...doc, TRUSTPOLICIES: [{ ...doc.TRUSTPOLICIES[0], signatureverification: { level: 'strict', override: { Expiry: 'log' } } }] })).toBe('TRUST_POLICY_INVALID');
  });

  it('accepts what notation-go accepts: duplicate trust stores, an empty override on skip, an empty verifyTimestamp, an upper-case registry host', () => {
    expect(refusal({ version: '1.0', trustPolicies: [statement({ trustStores: ['ca:test', 'ca:test'] })] })).toBe('accepted');
    expect(refusal({ version: '1.0', trustPolicies: [{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip', override: {} } }] })).toBe('accepted');
    expect(refusal({ version: '1.0', trustPolicies: [statement({ signatureVerification: { level: 'strict', verifyTimestamp: '' } })] })).toBe('accepted');
    expect(refusal({ version: '1.0', trustPolicies: [statement({ registryScopes: ['Registry.Example:5000/app'] })] })).toBe('accepted');
    expect(refusal({ version: '1.0', trustPolicies: [statement({ registryScopes: ['registry.example/App'] })] })).toBe('TRUST_POLICY_INVALID');
  });
});

describe('matching the signing certificate to trusted identities as notation-go does', () => {
  mkdirSync(join(work, 'store', 'x509', 'ca', 'test'), { recursive: true });
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', join('store', 'x509', 'ca', 'test', 'root.pem'),
    '-days', '30', '-subj', '/C=US/ST=WA/O=Acme/CN=Root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'leaf.key']);
  writeExt();
  const rootDer = pemToDer(readFileSync(join(work, 'store', 'x509', 'ca', 'test', 'root.pem'), 'utf8'))[0]!;
  const leaf = (subject: string, multivalue = false): Uint8Array => {
    const out = `leaf-${Buffer.from(subject).toString('hex').slice(0, 40)}.pem`;
    openssl(['req', '-new', '-key', 'leaf.key', '-subj', subject, ...(multivalue ? ['-multivalue-rdn'] : []), '-out', 'leaf.csr']);
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', join('store', 'x509', 'ca', 'test', 'root.pem'), '-CAkey', 'root.key', '-days', '10', '-extfile', 'leaf.ext', '-set_serial', String(Math.floor(Math.random() * 1e9) + 1), '-out', out]);
    return pemToDer(readFileSync(join(work, out), 'utf8'))[0]!;
  };
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 10 };
  const verdict = async (leafDer: Uint8Array, identities: string[]) => {
    const envelope: VerifiedNotationEnvelope = {
      payload: { targetArtifact: target }, signingScheme: 'notary.x509', signingTime: new Date(), chain: [leafDer, rootDer],
      algorithm: 'ES256', signature: new Uint8Array(64),
    };
    const st = policy(statement({ trustedIdentities: identities, signatureVerification: { level: 'strict', override: { revocation: 'skip' } } })).statements[0]!;
    const v = await evaluateNotationSignature({ signature: 'sig', envelope }, target, st, await openNotationTrustStore(join(work, 'store')));
    return v.checks.find((c) => c.check === 'trustedIdentity')?.result;
  };
  const ACME = 'x509.subject:C=US,ST=WA,O=Acme';

  it('a plain leaf matches (control)', async () => {
    expect(await verdict(leaf('/C=US/ST=WA/O=Acme/CN=release'), [ACME])).toBe('passed');
  });

  it.each([
    ['O twice (Go prints O=Acme+O=Other, a multi-valued RDN)', '/C=US/ST=WA/O=Acme/O=Other/CN=release'],
    ['emailAddress (Go prints 1.2.840.113549.1.9.1=#...)', '/C=US/ST=WA/O=Acme/CN=release/emailAddress=release@acme.example'],
    ['UID', '/C=US/ST=WA/O=Acme/CN=release/UID=release'],
    ['DC', '/DC=example/C=US/ST=WA/O=Acme/CN=release'],
  ])('a leaf with %s matches no identity', async (_name, subject) => {
    expect(await verdict(leaf(subject), [ACME])).toBe('failed');
  });

  it('a leaf with CN twice is read with its last CN, as Go keeps only that one', async () => {
    const twice = leaf('/C=US/ST=WA/O=Acme/CN=first/CN=second');
    expect(await verdict(twice, [`${ACME},CN=second`])).toBe('passed');
    expect(await verdict(twice, [`${ACME},CN=first`])).toBe('failed');
  });

  it('a multi-valued RDN in the leaf is flattened (Go reads it into fields) and matches', async () => {
    expect(await verdict(leaf('/C=US/ST=WA/O=Acme+CN=release', true), [`${ACME},CN=release`])).toBe('passed');
  });

  it('identity types are compared as written: cn= never matches the leaf\'s CN', async () => {
    const l = leaf('/C=US/ST=WA/O=Acme/CN=release');
    expect(await verdict(l, [`${ACME},cn=release`])).toBe('failed');
    expect(await verdict(l, [`${ACME},CN=release`])).toBe('passed');
  });

  it('identities of another type alone match nothing', async () => {
    expect(await verdict(leaf('/C=US/ST=WA/O=Acme/CN=release'), ['x509.other:release'])).toBe('failed');
  });
});

function writeExt(): void {
  execFileSync('sh', ['-c', `printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=codeSigning\\n' > ${join(work, 'leaf.ext')}`]);
}
