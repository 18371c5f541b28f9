/**
 * Revocation from CRLs the operator gives (`verify --crl`), decided as notation-core-go decides it:
 * CRLs made by `openssl ca -gencrl` (a test peer) for a root → intermediate → leaf chain whose
 * certificates name a CRL distribution point. Revoked leaf, revoked intermediate, expired CRL, a CRL
 * signed by the wrong key, a delta CRL, no CRL at all (notation's "unknown"), OCSP-only and plain
 * certificates, DER/PEM/directory reading.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VerifiedNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { evaluateNotationSignature } from '../../../src/verify/evaluate-notation.js';
import { parseNotationTrustPolicy } from '../../../src/verify/notation-trust-policy.js';
import { checkChainRevocation, type RevocationList } from '../../../src/x509/crl.js';
import { readRevocationLists } from '../../../src/x509/crl-files.js';
import { OpensslCa } from '../../helpers/openssl-ca.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-crl-');

const LEAF_EXT = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning'];
const root = new OpensslCa(join(work, 'root'), '/C=US/ST=WA/O=Acme/CN=Root', undefined, 'http://crl.acme.example/root.crl');
const intermediate = new OpensslCa(join(work, 'intermediate'), '/C=US/ST=WA/O=Acme/CN=Intermediate', root, 'http://crl.acme.example/intermediate.crl');
const leaf = intermediate.issue('/C=US/ST=WA/O=Acme/CN=release', LEAF_EXT, 'leaf');
const chain = [leaf.der, intermediate.cert.der, root.cert.der];
const crlDir = join(work, 'crls');
mkdirSync(crlDir);
const now = new Date();

const lists = (...paths: string[]) => readRevocationLists(paths);
const status = async (crls: RevocationList[], at = now, c: Uint8Array[] = chain) => checkChainRevocation(c, { crls, now: at });

describe('CRL checks as notation-core-go makes them', () => {
  it('fresh CRLs from both CAs, nothing revoked: ok (PEM and DER, files and a directory)', async () => {
    root.gencrl(join(crlDir, 'root.crl'), { der: true });
    intermediate.gencrl(join(crlDir, 'intermediate.pem'));
    expect((await status(await lists(crlDir))).result).toBe('ok');
    expect((await status(await lists(join(crlDir, 'root.crl'), join(crlDir, 'intermediate.pem')))).result).toBe('ok');
  });

  it('no CRL given for a certificate that names a distribution point: unknown', async () => {
    const s = await status([]);
    expect(s.result).toBe('unknown');
    expect(s.subject).toBe('C=US, ST=WA, O=Acme, CN=release');
    // only the root's CRL: the leaf's issuer (the intermediate) has none
    root.gencrl(join(work, 'root-only.crl'));
    expect((await status(await lists(join(work, 'root-only.crl')))).result).toBe('unknown');
  });

  it('a revoked leaf and a revoked intermediate are revoked', async () => {
    const other = intermediate.issue('/C=US/ST=WA/O=Acme/CN=other', LEAF_EXT, 'other');
    intermediate.revoke(other);
    const dir = join(work, 'revoked-leaf');
    mkdirSync(dir);
    root.gencrl(join(dir, 'root.crl'));
    intermediate.gencrl(join(dir, 'intermediate.crl'));
    const crls = await lists(dir);
    expect((await status(crls)).result).toBe('ok');
    expect(await status(crls, now, [other.der, intermediate.cert.der, root.cert.der])).toMatchObject({ result: 'revoked', subject: 'C=US, ST=WA, O=Acme, CN=other' });

    const root2 = new OpensslCa(join(work, 'root2'), '/C=US/ST=WA/O=Acme/CN=Root2');
    const int2 = new OpensslCa(join(work, 'int2'), '/C=US/ST=WA/O=Acme/CN=Int2', root2, 'http://crl.acme.example/int2.crl');
    const leaf2 = int2.issue('/C=US/ST=WA/O=Acme/CN=leaf2', LEAF_EXT, 'leaf2');
    const chain2 = [leaf2.der, int2.cert.der, root2.cert.der];
    const dir2 = join(work, 'revoked-intermediate');
    mkdirSync(dir2);
    int2.gencrl(join(dir2, 'int2.crl'));
    expect((await status(await lists(dir2), now, chain2)).result).toBe('ok'); // Int2 names no CRL point: not revokable
    // An intermediate that names a CRL point, revoked by its root:
    root.revoke(intermediate.cert);
    const dir3 = join(work, 'revoked-intermediate-2');
    mkdirSync(dir3);
    root.gencrl(join(dir3, 'root.crl'));
    intermediate.gencrl(join(dir3, 'intermediate.crl'));
    expect(await status(await lists(dir3))).toMatchObject({ result: 'revoked', subject: 'C=US, ST=WA, O=Acme, CN=Intermediate' });
  });

  it('an expired CRL (nextUpdate passed) is unknown', async () => {
    const crl = intermediate.gencrl(join(work, 'expired.crl'), { lastUpdate: '20200101000000Z', nextUpdate: '20200102000000Z' });
    const s = await status(await lists(crl, join(work, 'root-only.crl')));
    expect(s.result).toBe('unknown');
    expect(s.reason).toMatch(/expired at 2020-01-02/);
  });

  it('a CRL signed by another key under the same issuer name is unknown, not ok', async () => {
    const impostor = new OpensslCa(join(work, 'impostor'), '/C=US/ST=WA/O=Acme/CN=Intermediate');
    const s = await status(await lists(impostor.gencrl(join(work, 'impostor.crl')), join(work, 'root-only.crl')));
    expect(s.result).toBe('unknown');
    expect(s.reason).toMatch(/is not signed by its issuer/);
  });

  it('a delta CRL is not used', async () => {
    const delta = intermediate.gencrl(join(work, 'delta.crl'), { delta: true });
    expect((await lists(delta))[0]!.delta).toBe(true);
    expect((await status(await lists(delta, join(work, 'root-only.crl')))).result).toBe('unknown');
  });

  it('a certificate naming only OCSP is unknown offline; one naming neither is ok', async () => {
    const plain = new OpensslCa(join(work, 'plain'), '/C=US/ST=WA/O=Acme/CN=Plain');
    const ocspOnly = plain.issue('/C=US/ST=WA/O=Acme/CN=ocsp', [...LEAF_EXT, 'authorityInfoAccess=OCSP;URI:http://ocsp.acme.example'], 'ocsp');
    const none = plain.issue('/C=US/ST=WA/O=Acme/CN=none', LEAF_EXT, 'none');
    expect((await status([], now, [ocspOnly.der, plain.cert.der])).reason).toMatch(/only an OCSP server/);
    expect((await status([], now, [none.der, plain.cert.der])).result).toBe('ok');
  });

  it('an RSASSA-PSS-signed CRL counts when Go would read its parameters (SHA-2, MGF1 of the same hash, salt = hash length), else it is unknown', async () => {
    const rsa = new OpensslCa(join(work, 'rsa'), '/C=US/ST=WA/O=Acme/CN=RSA Root', undefined, 'http://crl.acme.example/rsa.crl', 'rsa');
    const rsaLeaf = rsa.issue('/C=US/ST=WA/O=Acme/CN=rsa-leaf', LEAF_EXT, 'rsa-leaf');
    const rsaChain = [rsaLeaf.der, rsa.cert.der];
    const pss = ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'];
    const crl = (name: string, options: Parameters<OpensslCa['gencrl']>[1]) => lists(rsa.gencrl(join(work, name), options));
    expect((await status(await crl('rsa-pkcs1.crl', {}), now, rsaChain)).result).toBe('ok');
    for (const md of ['sha256', 'sha384', 'sha512']) {
      const list = await crl(`rsa-pss-${md}.crl`, { md, sigopt: pss });
      expect(list[0]!.signatureAlgorithm).toBe('1.2.840.113549.1.1.10');
      expect((await status(list, now, rsaChain)).result, md).toBe('ok');
    }
    // Salt longer than the hash, or MGF1 with another hash: Go's UnknownSignatureAlgorithm, so no usable CRL.
    for (const [name, sigopt] of [['salt-max', ['rsa_padding_mode:pss', 'rsa_pss_saltlen:max']], ['mgf-sha512', [...pss, 'rsa_mgf1_md:sha512']]] as const) {
      const s = await status(await crl(`rsa-pss-${name}.crl`, { md: 'sha256', sigopt: [...sigopt] }), now, rsaChain);
      expect(s.result, name).toBe('unknown');
      expect(s.reason, name).toMatch(/unsupported algorithm \(1\.2\.840\.113549\.1\.1\.10\)/);
    }
    rsa.revoke(rsaLeaf);
    expect((await status(await crl('rsa-pss-revoked.crl', { md: 'sha256', sigopt: pss }), now, rsaChain)).result).toBe('revoked');
  });

  it('refuses a --crl file that is not a CRL (CRL_INVALID)', async () => {
    const junk = join(work, 'junk.crl');
    writeFileSync(junk, 'not a CRL');
    await expect(lists(junk)).rejects.toMatchObject({ code: 'CRL_INVALID' });
    await expect(lists(join(work, 'absent.crl'))).rejects.toMatchObject({ code: 'CRL_INVALID' });
  });
});

describe('revocation under the trust policy', () => {
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 10 };
  const r3 = new OpensslCa(join(work, 'r3'), '/C=US/ST=WA/O=Acme/CN=R3', undefined, 'http://crl.acme.example/r3.crl');
  const i3 = new OpensslCa(join(work, 'i3'), '/C=US/ST=WA/O=Acme/CN=I3', r3, 'http://crl.acme.example/i3.crl');
  const l3 = i3.issue('/C=US/ST=WA/O=Acme/CN=release3', LEAF_EXT, 'l3');
  const envelope: VerifiedNotationEnvelope = {
    payload: { targetArtifact: target }, signingScheme: 'notary.x509', signingTime: now, chain: [l3.der, i3.cert.der, r3.cert.der], algorithm: 'ES256', signature: new Uint8Array(64),
  };
  const store = { certificates: () => Promise.resolve([{ der: r3.cert.der, file: 'r3.pem' }]) };
  const st = (level: string) => parseNotationTrustPolicy(new TextEncoder().encode(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'release', registryScopes: ['*'], signatureVerification: { level }, trustStores: ['ca:r'], trustedIdentities: ['*'] }] }))).statements[0]!;
  const evaluate = async (level: string, crls: RevocationList[] = []) => evaluateNotationSignature({ signature: 's', envelope }, target, st(level), store, { crls });

  it('without a CRL, strict fails with notation\'s "unknown", naming --crl and the override; permissive logs it', async () => {
    const strict = await evaluate('strict');
    expect(strict.verdict).toBe('invalid');
    expect(strict.reason).toMatch(/^revocation: signing certificate with subject "C=US, ST=WA, O=Acme, CN=release3" revocation status is unknown/);
    expect(strict.reason).toMatch(/--crl/);
    expect(strict.reason).toMatch(/"override": \{"revocation": "log"\}.*statement "release"/);
    const permissive = await evaluate('permissive');
    expect(permissive.verdict).toBe('valid');
    expect(permissive.warnings.join()).toMatch(/revocation status is unknown/);
  });

  it('with fresh CRLs a strict policy is met offline; once the leaf is revoked it fails', async () => {
    const dir = join(work, 'policy-crls');
    mkdirSync(dir);
    r3.gencrl(join(dir, 'r3.crl'));
    i3.gencrl(join(dir, 'i3.crl'), { der: true });
    const ok = await evaluate('strict', await lists(dir));
    expect(ok.verdict).toBe('valid');
    expect(ok.checks.find((c) => c.check === 'revocation')?.result).toBe('passed');
    i3.revoke(l3);
    i3.gencrl(join(dir, 'i3.crl'), { der: true });
    const revoked = await evaluate('strict', await lists(dir));
    expect(revoked.verdict).toBe('invalid');
    expect(revoked.reason).toMatch(/^revocation: signing certificate with subject "C=US, ST=WA, O=Acme, CN=release3" is revoked/);
  });
});
