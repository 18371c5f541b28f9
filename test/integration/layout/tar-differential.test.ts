/**
 * Parser differential against the real thing: every crafted tar is read by airsign's indexTar and
 * by Go's archive/tar the way oras-go's tarfs reads it (test/peers/go-tar-list). airsign may refuse
 * a tar, but when it accepts one it must see exactly the regular files, with exactly the bytes,
 * that oras sees — a directory with a size hiding a second index.json, a global PAX path, a
 * `ustar\0` header with an odd version and a prefix, and so on. (What readers disagree on among
 * themselves, such as a directory's size, airsign refuses as TAR_AMBIGUOUS.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { airsignView, goTarList, goViews, viewDifference, type AirsignView } from '../../helpers/go-tar.js';
import { BLOCK, END, concat, member, paxData, withChecksum, withoutEnd, type RawMember } from '../../helpers/raw-tar.js';
import { tempDir } from '../../helpers/temp-dir.js';

const HELLO = fileURLToPathSafe('../../fixtures/layout/hello-world.tar');
function fileURLToPathSafe(rel: string): string {
  return new URL(rel, import.meta.url).pathname;
}

const work = tempDir('airsign-tar-diff-');
let base: Uint8Array;
beforeAll(() => {
  base = withoutEnd(new Uint8Array(readFileSync(HELLO)));
  goTarList();
}, 180_000);

const EVIL_INDEX = JSON.stringify({
  schemaVersion: 2,
  manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'e'.repeat(64)}`, size: 2, annotations: { 'org.opencontainers.image.ref.name': 'EVIL' } }],
});

let counter = 0;
function write(bytes: Uint8Array): string {
  const path = join(work, `case-${counter++}.tar`);
  writeFileSync(path, bytes);
  return path;
}

async function compare(paths: string[]): Promise<Array<{ path: string; air: AirsignView; difference: string | undefined }>> {
  const go = goViews(paths);
  const out = [];
  for (let i = 0; i < paths.length; i++) {
    const air = await airsignView(paths[i]!);
    out.push({ path: paths[i]!, air, difference: viewDifference(air, go[i]!) });
  }
  return out;
}

/** A member that hides `hidden` inside its claimed data, as a header-only type would expose it. */
function hiding(m: RawMember, hidden: Uint8Array): Uint8Array {
  return concat([member({ ...m, size: hidden.length }).subarray(0, BLOCK), hidden]);
}

describe('tar reader agrees with Go archive/tar + oras tarfs', () => {
  it('reads the fixtures the same way', async () => {
    const results = await compare([HELLO, fileURLToPathSafe('../../fixtures/layout/hello-world-prefixed-path.tar')]);
    for (const r of results) {
      expect('files' in r.air, `${r.path}: ${JSON.stringify(r.air)}`).toBe(true);
      expect(r.difference).toBeUndefined();
    }
  });

  const headerOnly: Array<[string, RawMember]> = [
    ['hard link', { name: 'blobs/x', type: '1', linkname: 'oci-layout' }],
    ['symlink', { name: 'blobs/x', type: '2', linkname: 'oci-layout' }],
    ['char device', { name: 'blobs/x', type: '3' }],
    ['block device', { name: 'blobs/x', type: '4' }],
    ['directory', { name: 'blobs/x/', type: '5' }],
    ['fifo', { name: 'blobs/x', type: '6' }],
    ['old-style directory (NUL type, trailing slash)', { name: 'blobs/x/', type: '\0' }],
    ['directory via PAX path', { name: 'blobs/x', type: '\0' }],
  ];
  it.each(headerOnly)('a %s with a non-zero size hides nothing from oras', async (label, m) => {
    const evil = member({ name: 'index.json', data: EVIL_INDEX });
    const extra = member({ name: 'blobs/sha256/hidden', data: 'hidden' });
    const prefix = label === 'directory via PAX path' ? member({ name: 'PaxHeaders/x', type: 'x', data: paxData([['path', 'blobs/x/']]) }) : new Uint8Array(0);
    const dup = write(concat([base, prefix, hiding(m, evil), END]));
    const fresh = write(concat([base, prefix, hiding(m, extra), END]));
    const [a, b] = await compare([dup, fresh]);
    expect(a!.difference).toBeUndefined();
    expect(b!.difference).toBeUndefined();
    // Refused: links and devices always, a directory because it has a size (readers disagree on it).
    expect('error' in a!.air && 'error' in b!.air).toBe(true);
    if (m.type === '5' || m.type === '\0') {
      expect(a!.air).toMatchObject({ code: 'TAR_AMBIGUOUS', error: expect.stringMatching(/directory entry .* with a non-zero size/) });
    }
  });

  const oddities: Array<[string, Uint8Array]> = [];
  beforeAll(() => {
    const evil = (extra: Partial<RawMember>) => member({ name: 'index.json', data: EVIL_INDEX, ...extra });
    oddities.push(
      ['global PAX path applies to the g entry only', concat([base, member({ name: 'pax_global_header', type: 'g', data: paxData([['path', 'blobs/sha256/g']]) }), member({ name: 'extra.txt', data: 'x' }), END])],
      ['global PAX path named index.json', concat([base, member({ name: 'pax_global_header', type: 'g', data: paxData([['path', 'index.json']]) }), END])],
      ['two x headers: the second replaces the first', concat([base, member({ name: 'x1', type: 'x', data: paxData([['path', 'index.json']]) }), member({ name: 'x2', type: 'x', data: paxData([['mtime', '1']]) }), member({ name: 'extra.txt', data: 'x' }), END])],
      ['GNU long name beats a PAX path', concat([base, member({ name: '././@LongLink', type: 'L', data: 'extra-long.txt\0', format: 'gnu' }), member({ name: 'x', type: 'x', data: paxData([['path', 'index.json']]) }), member({ name: 'short', data: 'x' }), END])],
      ['empty PAX path keeps the header name', concat([base, member({ name: 'x', type: 'x', data: paxData([['path', '']]) }), member({ name: 'extra.txt', data: 'x' }), END])],
      ['ustar magic with another version still uses the prefix', concat([base, evil({ prefix: 'other', mutate: (b) => b.set([0x20, 0x20], 263) }), END])],
      ['star trailer: 131-byte prefix', concat([base, evil({ format: 'star', prefix: 'p'.repeat(131), mutate: (b) => b.set(new TextEncoder().encode('q'.repeat(24)), 476) }), END])],
      ['GNU header with a bad atime uses the prefix field', concat([base, evil({ format: 'gnu', mutate: (b) => b.set(new TextEncoder().encode('elsewhere\0'), 345) }), END])],
      ['size with a leading NUL', concat([base, member({ name: 'extra.txt', data: 'x'.repeat(600), size: '\u000000001130\0' }), END])],
      ['size with a space inside', concat([base, member({ name: 'extra.txt', data: 'x'.repeat(10), size: '0000 0000012' }), END])],
      ['base-256 size', concat([base, member({ name: 'extra.txt', data: 'abc', size: '\x80\0\0\0\0\0\0\0\0\0\0\x03' }), END])],
      ['PAX size differs from the header size', concat([base, member({ name: 'x', type: 'x', data: paxData([['size', '700']]) }), member({ name: 'extra.txt', data: 'y'.repeat(700), size: 5 }), END])],
      ['PAX size with a + sign', concat([base, member({ name: 'x', type: 'x', data: paxData([['size', '+3']]) }), member({ name: 'extra.txt', data: 'abc' }), END])],
      ['PAX data with a trailing NUL', concat([base, member({ name: 'x', type: 'x', data: concat([paxData([['path', 'extra.txt']]), new Uint8Array(3)]) }), member({ name: 'y', data: 'abc' }), END])],
      ['PAX mtime that Go rejects', concat([base, member({ name: 'x', type: 'x', data: paxData([['mtime', 'soon']]) }), member({ name: 'extra.txt', data: 'abc' }), END])],
      ['PAX sparse file', concat([base, member({ name: 'x', type: 'x', data: paxData([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.name', 'index.json'], ['GNU.sparse.realsize', '3']]) }), member({ name: 'extra.txt', data: '1\n0\n' }), END])],
      ['type 7 (contiguous) file', concat([base, member({ name: 'extra.txt', data: 'abc', type: '7' }), END])],
      ['a zero block, then more entries', concat([base, new Uint8Array(BLOCK), evil({}), END])],
      ['one zero block, then end of file', concat([base, new Uint8Array(BLOCK)])],
      ['trailing garbage after the end marker', concat([base, END, evil({})])],
      ['non-ASCII name', concat([base, member({ name: 'extra-\u00e9.txt', data: 'abc' }), END])],
      ['invalid UTF-8 name', concat([base, member({ name: 'extra', data: 'abc', mutate: (b) => b.set([0xff, 0xfe], 5) }), END])],
      ['g header then x then file', concat([base, member({ name: 'x', type: 'x', data: paxData([['path', 'index.json']]) }), member({ name: 'pax_global_header', type: 'g', data: paxData([['comment', 'hi']]) }), member({ name: 'extra.txt', data: 'abc' }), END])],
      ['negative base-256 size on a directory', concat([base, member({ name: 'blobs/d/', type: '5', size: '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe' }), END])],
      ['mode field with garbage', concat([base, member({ name: 'extra.txt', data: 'abc', mutate: (b) => b.set(new TextEncoder().encode('0006z4\0'), 100) }), END])],
      ['V7 header (no magic) with a prefix-like tail', concat([base, evil({ format: 'v7', prefix: 'ignored', mutate: (b) => b.set(new TextEncoder().encode('zzz'), 345) }), END])],
    );
  });

  it('refuses what tar readers disagree on among themselves as TAR_AMBIGUOUS', async () => {
    const ambiguous = [
      'global PAX path applies to the g entry only',
      'global PAX path named index.json',
      'two x headers: the second replaces the first',
      'GNU long name beats a PAX path',
    ];
    const results = await compare(ambiguous.map((label) => write(oddities.find(([l]) => l === label)![1])));
    for (const r of results) expect(r.air).toMatchObject({ code: 'TAR_AMBIGUOUS' });
  });

  it('agrees on PAX, GNU, star, numeric-field and end-marker oddities', async () => {
    const paths = oddities.map(([, bytes]) => write(bytes));
    const results = await compare(paths);
    const differences = results.map((r, i) => [oddities[i]![0], r.difference]).filter(([, d]) => d !== undefined);
    expect(differences).toEqual([]);
    // The ordinary cases must still be accepted.
    const accepted = new Set(results.filter((r) => 'files' in r.air).map((_, i) => i));
    expect(accepted.size).toBeGreaterThan(5);
  });

  it('agrees on thousands of generated hostile tars (fast-check, one Go process)', async () => {
    const hostileTypes = ['1', '2', '3', '4', '6', '7', 'x', 'g', 'L', 'S', 'A'];
    const names = ['extra-a', 'extra-b', './extra-c', 'blobs/sha256/zz', 'blobs//sha256/yy', 'd/', 'blobs/', 'e/f/', 'g/h', 'i/', 'j', 'k/l/', 'index.json', 'a/../extra-d'];
    const memberArb = fc.record({
      type: fc.oneof({ arbitrary: fc.constantFrom('0', '\0', '5'), weight: 6 }, { arbitrary: fc.constantFrom(...hostileTypes), weight: 1 }),
      name: fc.constantFrom(...names),
      hide: fc.boolean(),
      dataLen: fc.integer({ min: 0, max: 1100 }),
      sizeDelta: fc.constantFrom(0, 0, 0, 0, 0, 0, 512, -1, 1),
      format: fc.constantFrom<'ustar' | 'gnu' | 'v7' | 'star'>('ustar', 'ustar', 'gnu', 'v7', 'star'),
      prefix: fc.constantFrom('', '', 'blobs', 'x'),
      pax: fc.option(fc.array(fc.tuple(fc.constantFrom('path', 'size', 'mtime', 'linkpath', 'comment'), fc.constantFrom('', 'extra-p', '0', '5', '512', 'dir/', '-1', 'x')), { maxLength: 3 }), { nil: undefined, freq: 4 }),
    });
    const tarArb = fc.record({ members: fc.array(memberArb, { minLength: 1, maxLength: 4 }), end: fc.constantFrom('end', 'end', 'end', 'one-zero', 'none', 'garbage') });
    const samples = fc.sample(tarArb, { numRuns: 1500, seed: 20261127 });
    const paths = samples.map((t) => {
      const parts: Uint8Array[] = [base];
      for (const m of t.members) {
        if (m.pax) parts.push(member({ name: 'PaxHeaders/x', type: 'x', data: paxData(m.pax) }));
        // Sometimes the data is itself a tar member, as a header-only type would expose it.
        const data = m.hide ? member({ name: `hidden-${m.dataLen}`, data: 'h'.repeat(m.dataLen % 700) }) : new Uint8Array(m.dataLen).fill(0x61);
        const withData = member({ name: m.name, type: m.type, data, format: m.format, prefix: m.prefix, size: Math.max(0, data.length + m.sizeDelta) });
        parts.push(withData);
      }
      if (t.end === 'end') parts.push(END);
      else if (t.end === 'one-zero') parts.push(new Uint8Array(BLOCK));
      else if (t.end === 'garbage') parts.push(new Uint8Array(BLOCK), withChecksum(new Uint8Array(BLOCK).fill(0x31)));
      return write(concat(parts));
    });
    const started = Date.now();
    const results = await compare(paths);
    const differences = results.filter((r) => r.difference !== undefined).map((r) => `${r.path}: ${r.difference}`);
    const accepted = results.filter((r) => 'files' in r.air).length;
    const codes: Record<string, number> = {};
    for (const r of results) if ('code' in r.air) codes[r.air.code] = (codes[r.air.code] ?? 0) + 1;
    console.log(JSON.stringify(codes));
    console.log(`tar differential: ${results.length} generated tars, ${accepted} accepted by airsign, ${differences.length} differences, ${Date.now() - started} ms`);
    expect(differences.slice(0, 5)).toEqual([]);
    expect(accepted).toBeGreaterThan(20);
  });
});
