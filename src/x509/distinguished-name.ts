/**
 * Distinguished names as users type them ("C=US,ST=WA,O=Acme,CN=release") and as we print them.
 *
 * Order: the text is read left to right as the certificate's RDN sequence, most significant
 * first (the order `openssl x509 -subject` and Notation's `x509.subject:` trust identities use),
 * NOT the reversed RFC 4514 order. Escapes follow RFC 4514: `\,` `\+` `\\` `\"` `\=` `\;` `\<`
 * `\>` `\#` `\ ` and `\XX` hex pairs (UTF-8 bytes). `+` joins attributes into one multi-valued
 * RDN. Country is a PrintableString of two letters; emailAddress and DC are IA5Strings; every
 * other value is a UTF8String (OpenSSL's default string mask).
 */
import type * as X509 from '@peculiar/asn1-x509';
import { airsignError } from '../errors.js';
import { asn1X509 } from './asn1-packages.js';

const { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } = asn1X509;
type AttributeTypeAndValue = X509.AttributeTypeAndValue;
type AttributeValue = X509.AttributeValue;
type Name = X509.Name;

interface AttributeKind {
  oid: string;
  name: string;
  string: 'printable' | 'ia5' | 'utf8';
}

const ATTRIBUTES: AttributeKind[] = [
  { oid: '2.5.4.6', name: 'C', string: 'printable' },
  { oid: '2.5.4.8', name: 'ST', string: 'utf8' },
  { oid: '2.5.4.7', name: 'L', string: 'utf8' },
  { oid: '2.5.4.9', name: 'STREET', string: 'utf8' },
  { oid: '2.5.4.10', name: 'O', string: 'utf8' },
  { oid: '2.5.4.11', name: 'OU', string: 'utf8' },
  { oid: '2.5.4.3', name: 'CN', string: 'utf8' },
  { oid: '2.5.4.5', name: 'SERIALNUMBER', string: 'printable' },
  { oid: '2.5.4.17', name: 'POSTALCODE', string: 'utf8' },
  { oid: '0.9.2342.19200300.100.1.25', name: 'DC', string: 'ia5' },
  { oid: '0.9.2342.19200300.100.1.1', name: 'UID', string: 'utf8' },
  { oid: '1.2.840.113549.1.9.1', name: 'emailAddress', string: 'ia5' },
];

const BY_NAME = new Map<string, AttributeKind>(ATTRIBUTES.map((a) => [a.name.toUpperCase(), a]));
BY_NAME.set('S', ATTRIBUTES[1]!);
BY_NAME.set('E', ATTRIBUTES.find((a) => a.name === 'emailAddress')!);
BY_NAME.set('EMAIL', ATTRIBUTES.find((a) => a.name === 'emailAddress')!);
const BY_OID = new Map<string, AttributeKind>(ATTRIBUTES.map((a) => [a.oid, a]));

export interface DistinguishedNameAttribute {
  /** Short name (C, ST, L, O, OU, CN, ...) or the dotted OID for types we have no name for. */
  type: string;
  oid: string;
  value: string;
}

/** One RDN = one or more attributes (usually one). */
export type DistinguishedName = DistinguishedNameAttribute[][];

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Parses "C=US,ST=WA,O=Acme,CN=release" into an X.509 Name (see module doc for the rules). */
export function parseDistinguishedName(text: string): Name {
  const rdns = splitUnescaped(text, ',');
  if (text.trim() === '') throw airsignError('DN_INVALID', 'the subject is empty; give e.g. "C=US,ST=WA,O=Acme,CN=release"');
  const name = new Name();
  for (const rdnText of rdns) {
    const rdn = new RelativeDistinguishedName();
    for (const atvText of splitUnescaped(rdnText, '+')) rdn.push(parseAttribute(atvText, text));
    name.push(rdn);
  }
  return name;
}

function parseAttribute(text: string, whole: string): AttributeTypeAndValue {
  const eq = text.indexOf('=');
  if (eq <= 0) throw airsignError('DN_INVALID', `subject part "${text.trim()}" is not TYPE=value (in "${whole}")`);
  const typeText = text.slice(0, eq).trim();
  const kind = BY_NAME.get(typeText.toUpperCase()) ?? (/^\d+(\.\d+)+$/.test(typeText) ? BY_OID.get(typeText) ?? { oid: typeText, name: typeText, string: 'utf8' as const } : undefined);
  if (kind === undefined) {
    throw airsignError('DN_INVALID', `unknown subject attribute "${typeText}" (use ${ATTRIBUTES.map((a) => a.name).join(', ')} or a dotted OID)`);
  }
  const value = unescapeValue(text.slice(eq + 1), whole);
  if (value === '') throw airsignError('DN_INVALID', `subject attribute ${kind.name} has an empty value`);
  if (kind.name === 'C' && !/^[A-Za-z]{2}$/.test(value)) {
    throw airsignError('DN_INVALID', `country (C) must be a two-letter code, got "${value}"`);
  }
  let attributeValue: AttributeValue;
  switch (kind.string) {
    case 'printable':
      if (!PRINTABLE.test(value)) throw airsignError('DN_INVALID', `${kind.name} must use printable characters only, got "${value}"`);
      attributeValue = new AttributeValue({ printableString: value });
      break;
    case 'ia5':
      if (!/^\p{ASCII}*$/u.test(value)) throw airsignError('DN_INVALID', `${kind.name} must be ASCII, got "${value}"`);
      attributeValue = new AttributeValue({ ia5String: value });
      break;
    case 'utf8':
      attributeValue = new AttributeValue({ utf8String: value });
      break;
  }
  return new AttributeTypeAndValue({ type: kind.oid, value: attributeValue });
}

/** Splits on `separator` where it is not backslash-escaped. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1]!;
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeValue(raw: string, whole: string): string {
  // Leading spaces and unescaped trailing spaces are not part of the value.
  let text = raw.replace(/^\s+/, '');
  let end = text.length;
  while (end > 0 && text[end - 1] === ' ' && !isEscaped(text, end - 1)) end--;
  text = text.slice(0, end);
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(next)) {
        bytes.push(Number.parseInt(next, 16));
        i += 2;
      } else if (i + 1 < text.length && ',+"\\<>;=# '.includes(text[i + 1]!)) {
        bytes.push(...encoder.encode(text[i + 1]));
        i += 1;
      } else {
        throw airsignError('DN_INVALID', `bad escape "\\${text[i + 1] ?? ''}" in subject "${whole}"`);
      }
    } else if (c === '"') {
      throw airsignError('DN_INVALID', `unescaped quote in subject "${whole}" (write \\")`);
    } else {
      bytes.push(...encoder.encode(c));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    throw airsignError('DN_INVALID', `hex escapes in subject "${whole}" are not valid UTF-8`);
  }
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** The attributes of a Name, RDN by RDN, in certificate order. */
export function describeName(name: Name): DistinguishedName {
  return Array.from(name, (rdn) =>
    Array.from(rdn, (atv) => {
      const kind = BY_OID.get(atv.type);
      return { type: kind?.name ?? atv.type, oid: atv.type, value: attributeValueText(atv.value) };
    }),
  );
}

function attributeValueText(value: AttributeValue): string {
  const text = value.utf8String ?? value.printableString ?? value.ia5String ?? value.teletexString ?? value.bmpString ?? value.universalString;
  if (text !== undefined) return text;
  return value.anyValue === undefined ? '' : `#${Buffer.from(value.anyValue).toString('hex')}`;
}

/** "C=US, ST=WA, O=Acme, CN=release": certificate order, RFC 4514 escaping of each value. */
export function formatDistinguishedName(name: Name | DistinguishedName): string {
  const described = name instanceof Name ? describeName(name) : name;
  return described.map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join('+')).join(', ');
}

function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 0) out = `${out.slice(0, -1)}\\ `;
  return out;
}
