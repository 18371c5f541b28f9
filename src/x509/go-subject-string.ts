/**
 * A certificate subject as Go's `pkix.Name.String()` writes it (crypto/x509/pkix, Go 1.2x) — the
 * text notation-go matches trusted identities against. What Go does on the way matters for the
 * verdict: it parses the RDNs into fields (every C, ST, L, STREET, POSTALCODE, O and OU value; the
 * last CN and SERIALNUMBER only), writes each field's values as ONE RDN (so two O attributes come
 * out multi-valued, `O=A+O=B`), writes attribute types it has no name for (emailAddress, UID, DC,
 * ...) as `<oid>=#<hex of the DER value>`, and reverses the order (RFC 4514). Values are escaped
 * as Go escapes them (`,+"\<>;` always, a space at either end, `#` at the start).
 */
import type { DistinguishedName } from './distinguished-name.js';

const NAMED: Record<string, string> = {
  '2.5.4.6': 'C', '2.5.4.8': 'ST', '2.5.4.7': 'L', '2.5.4.9': 'STREET', '2.5.4.17': 'POSTALCODE',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN', '2.5.4.5': 'SERIALNUMBER',
};
/** Field order of pkix.Name.ToRDNSequence. */
const FIELD_ORDER = ['2.5.4.6', '2.5.4.8', '2.5.4.7', '2.5.4.9', '2.5.4.17', '2.5.4.10', '2.5.4.11', '2.5.4.3', '2.5.4.5'];
const SINGLE = new Set(['2.5.4.3', '2.5.4.5']);

/** `subject` in certificate order (as describeName gives it). */
export function goSubjectString(subject: DistinguishedName): string {
  const fields = new Map<string, string[]>();
  const sequence: string[][] = [];
  for (const atv of subject.flat()) {
    if (NAMED[atv.oid] === undefined) {
      // Go puts the attributes it has no field for first in the sequence: last in the text.
      sequence.push([`${atv.oid}=#${unnamedValueHex(atv.value)}`]);
      continue;
    }
    const values = SINGLE.has(atv.oid) ? [] : (fields.get(atv.oid) ?? []);
    values.push(atv.value);
    fields.set(atv.oid, values);
  }
  for (const oid of FIELD_ORDER) {
    const values = fields.get(oid);
    if (values !== undefined && values.length > 0) sequence.push(values.map((v) => `${NAMED[oid]!}=${escape(v)}`));
  }
  return sequence.reverse().map((rdn) => rdn.join('+')).join(',');
}

/** The DER of an unnamed attribute's value is not kept by describeName; any hex stands in (the text only has to carry `=#`). */
function unnamedValueHex(value: string): string {
  return Buffer.from(value, 'utf8').toString('hex');
}

function escape(value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  let out = '';
  let k = 0;
  for (const c of value) {
    const last = k + Buffer.byteLength(c, 'utf8') === bytes;
    const escaped = ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || last)) || (c === '#' && k === 0);
    out += escaped ? `\\${c}` : c;
    k += Buffer.byteLength(c, 'utf8');
  }
  return out;
}
