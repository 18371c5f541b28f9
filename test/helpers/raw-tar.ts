/**
 * Builds tar archives byte by byte for hostile-input tests: every header field, the magic, the
 * typeflag and the size can be set to anything (the checksum is computed last, so a crafted header
 * passes the checksum gate and reaches the rules under test). Test-only.
 */

export const BLOCK = 512;

export interface RawMember {
  name: string;
  /** Typeflag character; default '0'. */
  type?: string;
  data?: Uint8Array | string;
  /** Size field value; default the data length. A string is written into the field verbatim. */
  size?: number | string;
  prefix?: string;
  linkname?: string;
  /** 'ustar' (`ustar\0` `00`, default), 'gnu' (`ustar  \0`), 'v7' (no magic), 'star' (ustar + `tar\0` trailer). */
  format?: 'ustar' | 'gnu' | 'v7' | 'star';
  /** Last-moment edits of the header block before the checksum is computed. */
  mutate?: (block: Uint8Array) => void;
}

const enc = new TextEncoder();

function put(block: Uint8Array, start: number, length: number, value: string | Uint8Array): void {
  const bytes = typeof value === 'string' ? enc.encode(value) : value;
  block.set(bytes.subarray(0, length), start);
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

export function withChecksum(block: Uint8Array): Uint8Array {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

export function headerBlock(m: RawMember): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const data = typeof m.data === 'string' ? enc.encode(m.data) : (m.data ?? new Uint8Array(0));
  put(block, 0, 100, m.name);
  put(block, 100, 8, octal(0o644, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  const size = m.size ?? data.length;
  put(block, 124, 12, typeof size === 'string' ? size : octal(size, 12));
  put(block, 136, 12, octal(0, 12));
  block[156] = (m.type ?? '0').charCodeAt(0);
  put(block, 157, 100, m.linkname ?? '');
  const format = m.format ?? 'ustar';
  if (format === 'ustar' || format === 'star') {
    put(block, 257, 8, 'ustar\x0000');
    put(block, 329, 8, octal(0, 8));
    put(block, 337, 8, octal(0, 8));
    put(block, 345, format === 'star' ? 131 : 155, m.prefix ?? '');
    if (format === 'star') put(block, 508, 4, 'tar\0');
  } else if (format === 'gnu') {
    put(block, 257, 8, 'ustar  \0');
  }
  m.mutate?.(block);
  return withChecksum(block);
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

/** A header followed by its data padded to a block boundary. */
export function member(m: RawMember): Uint8Array {
  const data = typeof m.data === 'string' ? enc.encode(m.data) : (m.data ?? new Uint8Array(0));
  return concat([headerBlock(m), padded(data)]);
}

/** PAX extended-header data: `<len> <key>=<value>\n` records. */
export function paxData(records: Array<[string, string]>): Uint8Array {
  let out = '';
  for (const [k, v] of records) {
    const body = ` ${k}=${v}\n`;
    let len = enc.encode(body).length;
    let digits = String(len).length;
    while (String(len + digits).length !== digits) digits++;
    len += digits;
    out += `${len}${body}`;
  }
  return enc.encode(out);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const END = new Uint8Array(2 * BLOCK);

/** A tar's bytes without its end-of-archive blocks (for appending members), found by walking headers. */
export function withoutEnd(tar: Uint8Array): Uint8Array {
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const block = tar.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) return tar.subarray(0, at);
    const size = parseInt(Buffer.from(block.subarray(124, 136)).toString('latin1').replace(/[\0 ]/g, '') || '0', 8);
    const type = String.fromCharCode(block[156]!);
    const dataBlocks = type === '5' ? 0 : Math.ceil(size / BLOCK);
    at += BLOCK * (1 + dataBlocks);
  }
  return tar;
}
