import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EKU, parseCertificate } from '../../../src/x509/certificate-info.js';
import { describeName, formatDistinguishedName, parseDistinguishedName } from '../../../src/x509/distinguished-name.js';
import { asn1Schema } from '../../../src/x509/asn1-packages.js';

/** DER of a parsed Name. */
const nameToDer = (name: Parameters<typeof asn1Schema.AsnConvert.serialize>[0]): Uint8Array => new Uint8Array(asn1Schema.AsnConvert.serialize(name));
import { decodePemBlocks, decodePemCertificates, encodePem } from '../../../src/pem.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/x509/${name}`, import.meta.url), 'utf8');

describe('parseCertificate on certificates we did not make', () => {
  it('reads notation e2e.crt (self-signed RSA code-signing leaf)', () => {
    const [der] = decodePemCertificates(fixture('notation-e2e.crt'));
    const info = parseCertificate(der!);
    expect(info.sha256Thumbprint).toBe('e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9');
    expect(info.version).toBe(3);
    expect(info.serialNumberHex).toBe('51');
    expect(info.subject).toBe('C=US, ST=WA, L=Seattle, O=Notary, CN=e2e');
    expect(info.subjectAttributes.flat().map((a) => a.type)).toEqual(['C', 'ST', 'L', 'O', 'CN']);
    expect(info.selfIssued).toBe(true);
    expect(info.keyUsage).toEqual({ critical: true, usages: ['digitalSignature'] });
    expect(info.extendedKeyUsage).toEqual({ critical: false, purposes: [EKU.codeSigning] });
    expect(info.basicConstraints).toBeUndefined();
    expect(info.notBefore.toISOString()).toBe('2022-12-19T02:43:39.000Z');
    expect(info.notAfter.toISOString()).toBe('2122-12-19T02:43:39.000Z');
    expect(info.publicKeyAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(info.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
    expect(info.publicKeySpki[0]).toBe(0x30);
  });

  it('reads notation-core minimum self-signed (critical EKU, no CN)', () => {
    const info = parseCertificate(decodePemCertificates(fixture('notation-core-minimum-self-signed.pem'))[0]!);
    expect(info.sha256Thumbprint).toBe('6b0cdfb0f87e61655c501ddad5ec0f0189af369004f69158604d5bc9210dd7ea');
    expect(info.subject).toBe('C=US, ST=Washington, L=Seattle, O=Notation Test, OU=TestCert');
    expect(info.extendedKeyUsage).toEqual({ critical: true, purposes: [EKU.codeSigning] });
    expect(info.serialNumberHex).toBe('00c6decc595b998704');
  });

  it('rejects non-certificates as input errors', () => {
    expect(() => parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).toThrow(expect.objectContaining({ kind: 'input', code: 'CERT_INVALID' }));
    expect(() => decodePemCertificates('hello', 'x.pem')).toThrow(expect.objectContaining({ code: 'CERT_PEM_EMPTY' }));
    expect(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n')).toThrow(expect.objectContaining({ code: 'PEM_INVALID' }));
  });

  it('PEM round-trips', () => {
    const der = decodePemCertificates(fixture('notation-e2e.crt'))[0]!;
    expect(decodePemCertificates(encodePem('CERTIFICATE', der))[0]).toEqual(der);
    expect(encodePem('CERTIFICATE', der).split('\n').every((l) => l.length <= 64)).toBe(true);
  });
});

describe('distinguished names', () => {
  it('keeps the given order and string types', () => {
    const name = parseDistinguishedName('C=US, ST=WA ,L=Seattle,O=Acme,OU=Release,CN=release');
    expect(formatDistinguishedName(name)).toBe('C=US, ST=WA, L=Seattle, O=Acme, OU=Release, CN=release');
    const der = Buffer.from(nameToDer(name)).toString('hex');
    expect(der).toContain('13025553'); // C as PrintableString "US"
    expect(der).toContain('060355040a0c0441636d65'); // O as UTF8String "Acme"
    expect(der.indexOf('0603550406')).toBeLessThan(der.indexOf('0603550403')); // C before CN
  });

  it('handles RFC 4514 escapes, hex pairs, UTF-8 and multi-valued RDNs', () => {
    const name = parseDistinguishedName('CN=Acme\\, Inc.\\+Co \\\\ \\"x\\",O=Caf\\C3\\A9+OU=R&D,C=DE');
    const described = describeName(name);
    expect(described).toEqual([
      [{ type: 'CN', oid: '2.5.4.3', value: 'Acme, Inc.+Co \\ "x"' }],
      [
        { type: 'O', oid: '2.5.4.10', value: 'Café' },
        { type: 'OU', oid: '2.5.4.11', value: 'R&D' },
      ],
      [{ type: 'C', oid: '2.5.4.6', value: 'DE' }],
    ]);
    const text = formatDistinguishedName(name);
    expect(text).toBe('CN=Acme\\, Inc.\\+Co \\\\ \\"x\\", O=Café+OU=R&D, C=DE');
    // What we print parses back to the same DER.
    expect(nameToDer(parseDistinguishedName(text))).toEqual(nameToDer(name));
  });

  it('keeps escaped trailing spaces and accepts emailAddress/DC/OIDs', () => {
    expect(describeName(parseDistinguishedName('CN=a\\ '))[0]![0]!.value).toBe('a ');
    const name = parseDistinguishedName('DC=example,emailAddress=a@example.com,2.5.4.5=123');
    expect(formatDistinguishedName(name)).toBe('DC=example, emailAddress=a@example.com, SERIALNUMBER=123');
  });

  it.each([
    ['', /empty/],
    ['CN', /not TYPE=value/],
    ['=x', /not TYPE=value/],
    ['FOO=bar', /unknown subject attribute "FOO"/],
    ['CN=', /empty value/],
    ['C=U1', /two-letter/],
    ['CN=a\\q', /bad escape/],
    ['CN=a"b', /unescaped quote/],
    ['CN=\\ff', /not valid UTF-8/],
    ['emailAddress=é@x', /must be ASCII/],
  ])('rejects %j', (text, message) => {
    expect(() => parseDistinguishedName(text)).toThrow(expect.objectContaining({ kind: 'input', code: 'DN_INVALID', message: expect.stringMatching(message) }));
  });
});
