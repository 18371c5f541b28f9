/**
 * Distinguished-name text read as go-ldap's `ParseDN` (v3.4.11) reads it — the parser notation-go
 * applies to `x509.subject:` trusted identities and to the signing certificate's subject text.
 * RDNs are separated by `,` or `;`, attributes of one RDN by `+`; the type is the text before the
 * first unescaped `=` (case kept); leading and trailing spaces of type and value are dropped (an
 * escaped trailing space stays); `\` escapes one of ` "#+,;<=>\` or gives a hex byte. A value that
 * starts with `#` is BER in hex, which notation refuses before parsing, so it is refused here.
 * Blank text is an empty DN.
 */

export interface LdapAttribute {
  /** As written (after unescaping), not case-folded. */
  type: string;
  value: string;
}

/** Each RDN's attributes, in text order. Throws an Error naming the problem. */
export function parseLdapDn(text: string): LdapAttribute[][] {
  const rdns: LdapAttribute[][] = [];
  if (text.trim() === '') return rdns;
  let rdn: LdapAttribute[] = [];
  let type = '';
  let escaping = false;
  let start = 0;
  const finish = (end: number, closesRdn: boolean): void => {
    rdn.push({ type, value: decodeValue(text.slice(start, end)) });
    type = '';
    start = end + 1;
    if (closesRdn) {
      rdns.push(rdn);
      rdn = [];
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (escaping) escaping = false;
    else if (c === '\\') escaping = true;
    else if (c === '=' && type === '') {
      type = decodeString(text.slice(start, i));
      start = i + 1;
    } else if (c === ',' || c === '+' || c === ';') {
      if (type === '') throw new Error('incomplete type, value pair');
      finish(i, c !== '+');
    }
  }
  if (type === '') throw new Error('DN ended with incomplete type, value pair');
  finish(text.length, true);
  return rdns;
}

function decodeValue(raw: string): string {
  if (raw.startsWith('#')) throw new Error('BER-encoded (#hex) values are not supported');
  return decodeString(raw);
}

const ESCAPABLE = ' "#+,;<=>\\';

function stripSpaces(raw: string): string {
  let out = raw.replace(/^ +| +$/g, '');
  if (out.endsWith('\\') && raw.endsWith(' ')) out += ' ';
  return out;
}

function decodeString(raw: string): string {
  const s = Array.from(stripSpaces(raw));
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const next = s[i + 1];
    if (next === undefined) throw new Error(`got corrupted escaped character: '${s.join('')}'`);
    if (ESCAPABLE.includes(next)) {
      bytes.push(next.charCodeAt(0));
      i++;
      continue;
    }
    const pair = `${next}${s[i + 2] ?? ''}`;
    if (!/^[0-9A-Fa-f]{2}$/.test(pair)) throw new Error(`failed to decode escaped character: "\\${pair}"`);
    bytes.push(Number.parseInt(pair, 16));
    i += 2;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
