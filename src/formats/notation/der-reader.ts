/**
 * A minimal strict DER reader: just enough to pull the fields Notation's certificate rules need out
 * of an X.509 certificate without a schema library (which costs ~10 ms per certificate). Definite
 * lengths only, single-byte tags, every length checked against its parent.
 */

export interface DerNode {
  tag: number;
  /** The whole TLV. */
  raw: Uint8Array;
  /** The value octets. */
  content: Uint8Array;
}

export class DerError extends Error {}

export const DerTag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Oid: 0x06,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
} as const;

/** Reads the one TLV filling `bytes` exactly. */
export function readDer(bytes: Uint8Array): DerNode {
  const [node, end] = readAt(bytes, 0);
  if (end !== bytes.length) throw new DerError('trailing bytes after the DER value');
  return node;
}

/** The TLVs inside a constructed node. */
export function derChildren(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new DerError('not a constructed value');
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const [child, end] = readAt(node.content, offset);
    out.push(child);
    offset = end;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return node;
}

export function derOid(node: DerNode): string {
  expectTag(node, DerTag.Oid, 'OID');
  const c = node.content;
  if (c.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    value = value * 128 + (c[i]! & 0x7f);
    if ((c[i]! & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === c.length - 1) throw new DerError('truncated OID');
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

export function derBoolean(node: DerNode): boolean {
  expectTag(node, DerTag.Boolean, 'BOOLEAN');
  if (node.content.length !== 1) throw new DerError('bad BOOLEAN');
  return node.content[0] !== 0;
}

/** A small non-negative INTEGER (path lengths). */
export function derSmallInteger(node: DerNode): number {
  expectTag(node, DerTag.Integer, 'INTEGER');
  if (node.content.length === 0 || node.content.length > 4 || (node.content[0]! & 0x80) !== 0) throw new DerError('unsupported INTEGER');
  return node.content.reduce((acc, b) => acc * 256 + b, 0);
}

/** UTCTime or GeneralizedTime in the "Z" forms RFC 5280 requires. */
export function derTime(node: DerNode): Date {
  const text = new TextDecoder().decode(node.content);
  const m = node.tag === DerTag.UtcTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : node.tag === DerTag.GeneralizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (m === null) throw new DerError('bad time');
  let year = Number(m[1]);
  if (node.tag === DerTag.UtcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** A named-bit BIT STRING as flags: bit i (RFC numbering, MSB first) → 1 << i. */
export function derBitFlags(node: DerNode): number {
  expectTag(node, DerTag.BitString, 'BIT STRING');
  const c = node.content;
  if (c.length === 0 || c[0]! > 7) throw new DerError('bad BIT STRING');
  let flags = 0;
  for (let i = 0; i < (c.length - 1) * 8 && i < 31; i++) {
    if ((c[1 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0) flags |= 1 << i;
  }
  return flags;
}

function readAt(bytes: Uint8Array, offset: number): [DerNode, number] {
  if (offset + 2 > bytes.length) throw new DerError('truncated DER');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported DER length');
    if (offset + 2 + count > bytes.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('DER length exceeds the data');
  return [{ tag, raw: bytes.subarray(offset, end), content: bytes.subarray(offset + header, end) }, end];
}
