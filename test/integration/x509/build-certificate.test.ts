import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCertificate } from '../../../src/x509/build-certificate.js';
import { EKU, parseCertificate } from '../../../src/x509/certificate-info.js';
import { encodePem } from '../../../src/pem.js';
import { verifyCertificateSignature } from '../../../src/x509/certificate-signature.js';
import type { KeyBackend, KeyType } from '../../../src/key-backend.js';
import { generateFileKey } from '../../helpers/pem-test-key.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-x509-');
const keys = new Map<string, KeyBackend>();
async function key(name: string, type: KeyType): Promise<KeyBackend> {
  const existing = keys.get(name);
  if (existing) return existing;
  const created = await generateFileKey(dir, name, type);
  keys.set(name, created);
  return created;
}
function writePem(name: string, der: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, encodePem('CERTIFICATE', der));
  return path;
}
function openssl(args: string[]): { code: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('buildCertificate', () => {
  const cases: Array<[KeyType, KeyType, string]> = [
    ['ecdsa-p256', 'ecdsa-p256', 'ecdsa-with-SHA256'],
    ['ecdsa-p384', 'ecdsa-p384', 'ecdsa-with-SHA384'],
    ['ecdsa-p521', 'rsa-3072', 'sha384WithRSAEncryption'],
    ['rsa-3072', 'ecdsa-p521', 'ecdsa-with-SHA512'],
    ['rsa-2048', 'rsa-4096', 'sha512WithRSAEncryption'],
    ['ed25519', 'ed25519', 'ED25519'],
  ];
  it.each(cases)('%s leaf issued by a %s root passes openssl verify with the Notation leaf profile', async (leafType, rootType, sigAlg) => {
    const rootKey = await key(`root-${rootType}`, rootType);
    const leafKey = await key(`leaf-${leafType}`, leafType);
    const root = await buildCertificate({ subjectKey: rootKey, subject: 'C=US,O=Acme,CN=Acme Root', ca: true, days: 3650 });
    const leaf = await buildCertificate({
      subjectKey: leafKey,
      subject: 'C=US,ST=WA,L=Seattle,O=Acme,OU=Release,CN=release',
      issuer: { key: rootKey, certificate: root },
      days: 30,
    });
    const rootPath = writePem(`root-${leafType}-${rootType}.pem`, root);
    const leafPath = writePem(`leaf-${leafType}-${rootType}.pem`, leaf);
    const verify = openssl(['verify', '-x509_strict', '-CAfile', rootPath, leafPath]);
    expect(verify.out).toContain(': OK');
    expect(verify.code).toBe(0);

    const text = openssl(['x509', '-in', leafPath, '-noout', '-text']).out;
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \s*\n\s+Code Signing\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
    expect(text).toContain(`Signature Algorithm: ${sigAlg}`);
    expect(text).toContain('Version: 3 (0x2)');
    expect(openssl(['x509', '-in', leafPath, '-noout', '-subject', '-nameopt', 'compat']).out.trim()).toBe(
      'subject=/C=US/ST=WA/L=Seattle/O=Acme/OU=Release/CN=release',
    );

    const rootText = openssl(['x509', '-in', rootPath, '-noout', '-text']).out;
    expect(rootText).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(rootText).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);

    // Our parser agrees with what we built.
    const info = parseCertificate(leaf);
    expect(info.keyUsage).toEqual({ critical: true, usages: ['digitalSignature'] });
    expect(info.extendedKeyUsage?.purposes).toEqual([EKU.codeSigning]);
    expect(info.basicConstraints).toEqual({ critical: true, ca: false });
    expect(info.subject).toBe('C=US, ST=WA, L=Seattle, O=Acme, OU=Release, CN=release');
    expect(info.issuer).toBe('C=US, O=Acme, CN=Acme Root');
    expect(info.publicKeySpki).toEqual(await leafKey.publicKeySpki());
    expect(info.authorityKeyIdentifier).toBe(parseCertificate(root).subjectKeyIdentifier);
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(30 * 86_400_000 + 60_000);
    expect(Number.parseInt(info.serialNumberHex.slice(0, 2), 16)).toBeLessThan(0x80);
  });

  it('makes a self-signed Ed25519 code-signing certificate openssl reads', async () => {
    const der = await buildCertificate({ subjectKey: await key('self-ed', 'ed25519'), subject: 'CN=ed signer' });
    const path = writePem('self-ed.pem', der);
    const text = openssl(['x509', '-in', path, '-noout', '-text']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Public Key Algorithm: ED25519');
    expect(text.out).not.toContain('Authority Key Identifier');
    const info = parseCertificate(der);
    expect(info.selfIssued).toBe(true);
    expect(info.sha256Thumbprint).toBe(execFileSync('openssl', ['x509', '-in', path, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim().replace(/:/g, '').toLowerCase());
  });

  it('rejects an issuer certificate that is not for the issuer key', async () => {
    const rootKey = await key('root-ecdsa-p256', 'ecdsa-p256');
    const otherKey = await key('other-p256', 'ecdsa-p256');
    const root = await buildCertificate({ subjectKey: rootKey, subject: 'CN=root', ca: true });
    await expect(
      buildCertificate({ subjectKey: await key('leaf-ecdsa-p256', 'ecdsa-p256'), subject: 'CN=x', issuer: { key: otherKey, certificate: root } }),
    ).rejects.toMatchObject({ kind: 'key', code: 'CERT_ISSUER_KEY_MISMATCH' });
  });

  it('rejects an issuer certificate that is not a CA', async () => {
    const rootKey = await key('root-ecdsa-p256', 'ecdsa-p256');
    const notCa = await buildCertificate({ subjectKey: rootKey, subject: 'CN=leaf-as-root' });
    await expect(
      buildCertificate({ subjectKey: await key('leaf-ecdsa-p256', 'ecdsa-p256'), subject: 'CN=x', issuer: { key: rootKey, certificate: notCa } }),
    ).rejects.toMatchObject({ kind: 'key', code: 'CERT_ISSUER_NOT_CA' });
  });

  it('rejects bad validity and subjects', async () => {
    const k = await key('leaf-ecdsa-p256', 'ecdsa-p256');
    await expect(buildCertificate({ subjectKey: k, subject: 'CN=x', days: 0 })).rejects.toMatchObject({ kind: 'input', code: 'CERT_DAYS_INVALID' });
    await expect(buildCertificate({ subjectKey: k, subject: 'C=USA,CN=x' })).rejects.toMatchObject({ kind: 'input', code: 'DN_INVALID' });
  });

  it('refuses to return a certificate whose signature does not verify', async () => {
    const k = await key('leaf-ecdsa-p256', 'ecdsa-p256');
    const other = await key('other-p256', 'ecdsa-p256');
    const liar: KeyBackend = {
      description: k.description,
      keyType: k.keyType,
      publicKeySpki: () => other.publicKeySpki(),
      certificateChain: () => k.certificateChain(),
      sign: (m, s) => k.sign(m, s),
      signDigest: (d, s) => k.signDigest(d, s),
      close: async () => {},
    };
    await expect(buildCertificate({ subjectKey: liar, subject: 'CN=x' })).rejects.toMatchObject({ kind: 'key', code: 'CERT_SIGNATURE_INVALID' });
  });

  it('verifyCertificateSignature tells the issuer key from another, and a tampered certificate', async () => {
    const rootKey = await key('root-ecdsa-p256', 'ecdsa-p256');
    const der = await buildCertificate({ subjectKey: rootKey, subject: 'CN=check', ca: true });
    expect(verifyCertificateSignature(der, await rootKey.publicKeySpki())).toBe(true);
    expect(verifyCertificateSignature(der, await (await key('other-p256', 'ecdsa-p256')).publicKeySpki())).toBe(false);
    const tampered = Uint8Array.from(der);
    const cn = Buffer.from(tampered).indexOf('check');
    tampered[cn] = 0x43; // 'C'
    expect(verifyCertificateSignature(tampered, await rootKey.publicKeySpki())).toBe(false);
    const spki = await rootKey.publicKeySpki();
    expect(() => verifyCertificateSignature(Uint8Array.of(1, 2, 3), spki)).toThrow(expect.objectContaining({ code: 'CERT_INVALID' }));
  });
});

