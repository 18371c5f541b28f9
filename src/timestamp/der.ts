/**
 * Minimal DER: just what the RFC 3161 client needs to write a TimeStampReq and read a
 * TimeStampResp (tag-length-value walking; definite lengths only, as DER requires).
 * Parsing failures throw a plain Error; callers wrap them in an AirsignError.
 */

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  ObjectIdentifier: 0x06,
  Utf8String: 0x0c,
  Sequence: 0x30,
  Set: 0x31,
  GeneralizedTime: 0x18,
} as const;

/** One decoded element: its tag byte, its content and the whole encoding. */
export interface DerElement {
  tag: number;
  /** Content octets (a view into the input). */
  content: Uint8Array;
  /** The whole TLV (a view into the input). */
  encoded: Uint8Array;
}

/** Reads the element at `offset`; returns it and the offset after it. */
export function readElement(bytes: Uint8Array, offset = 0): { element: DerElement; next: number } {
  if (offset + 2 > bytes.length) throw new Error('truncated DER element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not supported');
  let lengthByte = bytes[offset + 1]!;
  let position = offset + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    if (count === 0) throw new Error('indefinite DER length');
    if (count > 4) throw new Error('DER length too large');
    if (position + count > bytes.length) throw new Error('truncated DER length');
    length = 0;
    for (let i = 0; i < count; i += 1) {
      lengthByte = bytes[position + i]!;
      length = length * 256 + lengthByte;
    }
    position += count;
  }
  const end = position + length;
  if (end > bytes.length) throw new Error('truncated DER content');
  return {
    element: { tag, content: bytes.subarray(position, end), encoded: bytes.subarray(offset, end) },
    next: end,
  };
}

/** Decodes exactly one element filling `bytes`. */
export function decodeOne(bytes: Uint8Array): DerElement {
  const { element, next } = readElement(bytes, 0);
  if (next !== bytes.length) throw new Error('trailing bytes after DER element');
  return element;
}

/** The children of a constructed element (SEQUENCE, SET, [n] constructed). */
export function children(element: DerElement): DerElement[] {
  if ((element.tag & 0x20) === 0) throw new Error(`DER tag 0x${element.tag.toString(16)} is not constructed`);
  const out: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const { element: child, next } = readElement(element.content, offset);
    out.push(child);
    offset = next;
  }
  return out;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined) throw new Error(`${what} is missing`);
  if (element.tag !== tag) throw new Error(`${what} has tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return element;
}

/** INTEGER content as a bigint (two's complement). */
export function integerValue(element: DerElement): bigint {
  if (element.tag !== Tag.Integer || element.content.length === 0) throw new Error('not a DER INTEGER');
  let value = 0n;
  for (const byte of element.content) value = (value << 8n) | BigInt(byte);
  if (element.content[0]! & 0x80) value -= 1n << BigInt(element.content.length * 8);
  return value;
}

/** OBJECT IDENTIFIER content as dotted text. */
export function oidValue(element: DerElement): string {
  if (element.tag !== Tag.ObjectIdentifier || element.content.length === 0) throw new Error('not a DER OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let current = 0n;
  for (const byte of element.content) {
    current = (current << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(current);
      current = 0n;
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].map(String).join('.');
}

// ---- writing ----

export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  let rest = length;
  while (rest > 0) {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const length = encodeLength(content.length);
  const out = new Uint8Array(1 + length.length + content.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(content, 1 + length.length);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeSequence(parts: readonly Uint8Array[]): Uint8Array {
  return encodeTlv(Tag.Sequence, concat(parts));
}

/** A non-negative INTEGER from unsigned big-endian bytes or a small number. */
export function encodeInteger(value: number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error('encodeInteger takes a non-negative safe integer');
    const list: number[] = [];
    let rest = value;
    do {
      list.unshift(rest & 0xff);
      rest = Math.floor(rest / 256);
    } while (rest > 0);
    bytes = Uint8Array.from(list);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start += 1;
    bytes = value.subarray(start);
    if (bytes.length === 0) bytes = Uint8Array.of(0);
  }
  if (bytes[0]! & 0x80) bytes = concat([Uint8Array.of(0), bytes]);
  return encodeTlv(Tag.Integer, bytes);
}

export function encodeBoolean(value: boolean): Uint8Array {
  return encodeTlv(Tag.Boolean, Uint8Array.of(value ? 0xff : 0x00));
}

export function encodeNull(): Uint8Array {
  return Uint8Array.of(Tag.Null, 0);
}

export function encodeOctetString(bytes: Uint8Array): Uint8Array {
  return encodeTlv(Tag.OctetString, bytes);
}

export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`bad OID ${dotted}`);
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const value of values) {
    const group: number[] = [Number(value & 0x7fn)];
    let rest = value >> 7n;
    while (rest > 0n) {
      group.unshift(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    out.push(...group);
  }
  return encodeTlv(Tag.ObjectIdentifier, Uint8Array.from(out));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
