/**
 * src/x509/der-elements.ts: the raw element bytes inside a constructed DER element, and the
 * certificate fields taken from them (issuer, subject, SubjectPublicKeyInfo as encoded, as Go's
 * Raw* fields are, not as a re-encoding of what was parsed).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DerElementError, derChildren } from '../../../src/x509/der-elements.js';
import { parseCertificate } from '../../../src/x509/certificate-info.js';
import { decodePemCertificates } from '../../../src/pem.js';

const bytes = (...parts: Array<number | number[] | Uint8Array>): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...p])));
/** A tag, a length in the long form with `lengthBytes` bytes (never minimal below 128), and the content. */
const longForm = (tag: number, content: Uint8Array, lengthBytes = 1): Uint8Array => {
  const length = Array.from({ length: lengthBytes }, (_, i) => (content.length >> (8 * (lengthBytes - 1 - i))) & 0xff);
  return bytes(tag, 0x80 | lengthBytes, length, content);
};
const shortForm = (tag: number, content: Uint8Array): Uint8Array => {
  if (content.length < 128) return bytes(tag, content.length, content);
  return longForm(tag, content, content.length < 256 ? 1 : 2);
};

describe('derChildren', () => {
  it('returns each inner element with its own header: short and long lengths, a high tag number', () => {
    const integer = bytes(0x02, 0x01, 0x05);
    const octets = longForm(0x04, new Uint8Array(200).fill(7));
    const highTag = bytes(0x9f, 0x81, 0x00, 0x01, 0xaa); // [context 128], one content byte
    const children = derChildren(shortForm(0x30, bytes(integer, octets, highTag)));
    expect(children.map((c) => Buffer.from(c).toString('hex'))).toEqual([integer, octets, highTag].map((c) => Buffer.from(c).toString('hex')));
    expect(derChildren(bytes(0x30, 0x00))).toEqual([]);
  });

  it('refuses an indefinite length, a child past its parent, bytes after the element, an empty input', () => {
    expect(() => derChildren(bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00))).toThrow(/indefinite/);
    expect(() => derChildren(bytes(0x30, 0x03, 0x02, 0x05, 0x01))).toThrow(/past its container/);
    expect(() => derChildren(bytes(0x30, 0x00, 0x00))).toThrow(/bytes after/);
    expect(() => derChildren(new Uint8Array())).toThrow(DerElementError);
  });
});

describe('parseCertificate: issuer, subject and key as encoded', () => {
  const [der] = decodePemCertificates(readFileSync(new URL('../../fixtures/x509/notation-e2e.crt', import.meta.url), 'utf8'));

  it('are the bytes inside the certificate', () => {
    const info = parseCertificate(der!);
    for (const field of [info.subjectDer, info.issuerDer, info.publicKeySpki]) {
      expect(Buffer.from(der!).indexOf(Buffer.from(field))).toBeGreaterThan(0);
    }
    expect(info.publicKeySpki[0]).toBe(0x30);
  });

  it('keep a non-minimal length in the subject (a re-encoding would drop it, and no longer match the issuer Name)', () => {
    const [tbs, algorithm, signature] = derChildren(der!);
    const fields = derChildren(tbs!);
    const subjectIndex = fields[0]![0] === 0xa0 ? 5 : 4;
    const subject = fields[subjectIndex]!;
    const headerLength = subject[1]! < 0x80 ? 2 : 2 + (subject[1]! & 0x7f);
    const widened = longForm(0x30, subject.subarray(headerLength), 2);
    fields[subjectIndex] = widened;
    const rebuilt = shortForm(0x30, bytes(shortForm(0x30, bytes(...fields)), algorithm!, signature!));
    const info = parseCertificate(rebuilt);
    expect(Buffer.from(info.subjectDer).toString('hex')).toBe(Buffer.from(widened).toString('hex'));
    expect(info.selfIssued).toBe(false); // the issuer Name keeps its minimal encoding: not the same bytes
    expect(info.subject).toBe(parseCertificate(der!).subject);
  });
});
