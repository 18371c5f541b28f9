import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRandomAccess, readFully } from '../../../src/tar/random-access.js';
import { BLOCK, decodeHeader, encodeHeader, parsePaxRecords } from '../../../src/tar/tar-header.js';
import { indexTar } from '../../../src/tar/tar-index.js';
import { normalizeEntryPath } from '../../../src/tar/tar-path.js';
import { TarWriter } from '../../../src/tar/tar-writer.js';
import { isAirsignError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';

const work = tempDir('airsign-tar-');

const LONG_DIR = `blobs/${'d'.repeat(120)}`;
const LONG_FILE = `${'f'.repeat(150)}.json`;

async function entriesOf(path: string) {
  const file = await openRandomAccess(path);
  try {
    const index = await indexTar(file, path);
    const out: Record<string, string> = {};
    for (const e of index.entries.values()) {
      if (e.type === 'directory') {
        out[e.path] = '<dir>';
        continue;
      }
      const buf = new Uint8Array(e.size);
      await readFully(file, buf, 0, e.size, e.offset);
      out[e.path] = Buffer.from(buf).toString('utf8');
    }
    return out;
  } finally {
    await file.close();
  }
}

function makeTree(): string {
  const root = mkdtempSync(join(work, 'tree-'));
  mkdirSync(join(root, LONG_DIR), { recursive: true });
  writeFileSync(join(root, LONG_DIR, LONG_FILE), 'long');
  writeFileSync(join(root, 'index.json'), '{"a":1}');
  return root;
}

describe('indexTar reads what other tools write', () => {
  it.each(['gnu', 'pax', 'ustar', 'v7', 'oldgnu'])('GNU tar --format=%s with ./ prefixes and long names', (format) => {
    const root = makeTree();
    const tar = join(work, `t-${format}.tar`);
    const args = ['--format=' + format, '-cf', tar, '-C', root, '.'];
    try {
      execFileSync('tar', args, { stdio: 'pipe' });
    } catch (error) {
      // ustar and v7 cannot hold a 150-character file name; that is GNU tar refusing, not us
      expect(['ustar', 'v7']).toContain(format);
      expect(String((error as { stderr: Buffer }).stderr)).toMatch(/too long|cannot|not stored/i);
      return;
    }
    return entriesOf(tar).then((entries) => {
      expect(entries['index.json']).toBe('{"a":1}');
      expect(entries[`${LONG_DIR}/${LONG_FILE}`]).toBe('long');
      expect(entries[LONG_DIR]).toBe('<dir>');
      expect(entries['']).toBeUndefined(); // the explicit ./ entry is dropped
    });
  });

  it('Python tarfile PAX with a global header and long names', async () => {
    const tar = join(work, 'py-pax.tar');
    execFileSync('/usr/bin/python3', ['-c', `
import io, tarfile, sys
t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global'})
for name, data in [('./' + 'x' * 300 + '/file', b'deep'), ('index.json', b'{}'), ('caf\u00e9.json', b'utf8')]:
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
t.close()
`, tar]);
    const entries = await entriesOf(tar);
    expect(entries[`${'x'.repeat(300)}/file`]).toBe('deep');
    expect(entries['index.json']).toBe('{}');
    expect(entries['café.json']).toBe('utf8');
  });
});

describe('header codec', () => {
  it('writes plain ustar for ordinary entries, PAX only when a field overflows', () => {
    const plain = encodeHeader({ path: 'blobs/sha256/' + 'a'.repeat(64), size: 1234, mode: 0o444, type: 'file' });
    expect(plain.length).toBe(BLOCK);
    const h = decodeHeader(plain, 0);
    expect(h).toMatchObject({ name: 'blobs/sha256/' + 'a'.repeat(64), size: 1234, mode: 0o444, typeflag: '0' });
    const big = encodeHeader({ path: 'blobs/sha256/b', size: 8 * 1024 ** 3, mode: 0o444, type: 'file' });
    expect(big.length).toBe(BLOCK * 3);
    expect(decodeHeader(big, 0).typeflag).toBe('x');
    const records = parsePaxRecords(big.subarray(BLOCK, BLOCK + decodeHeader(big, 0).size), 0);
    expect(records.get('size')).toBe(String(8 * 1024 ** 3));
    expect(decodeHeader(big.subarray(2 * BLOCK), 0).name).toBe('blobs/sha256/b');
  });

  it('reads GNU base-256 sizes', () => {
    const block = encodeHeader({ path: 'x', size: 0, mode: 0o644, type: 'file' });
    const size = 9 * 1024 ** 3;
    block.fill(0, 124, 136);
    block[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      block[i] = v % 256;
      v = Math.floor(v / 256);
    }
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of block) sum += b;
    block.set(Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    expect(decodeHeader(block, 0).size).toBe(size);
  });

  it('refuses a bad checksum', () => {
    const block = encodeHeader({ path: 'x', size: 0, mode: 0o644, type: 'file' });
    block[0] = 'y'.charCodeAt(0);
    expect(() => decodeHeader(block, 0)).toThrow(/bad checksum/);
  });

  it('normalises names and refuses unsafe ones', () => {
    expect(normalizeEntryPath('./blobs//sha256/')).toBe('blobs/sha256');
    expect(normalizeEntryPath('./')).toBe('');
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:\\x', 'c:/x', 'a\\b']) {
      try {
        normalizeEntryPath(bad);
        expect.unreachable(bad);
      } catch (error) {
        expect(isAirsignError(error) && error.code).toBe('TAR_UNSAFE_PATH');
      }
    }
  });
});

describe('TarWriter', () => {
  it('writes archives GNU tar and Python read back, with buildx header fields', async () => {
    const tar = join(work, 'written.tar');
    const w = await TarWriter.create(tar);
    await w.directory('blobs/');
    await w.file('index.json', Buffer.from('{"x":1}'), 0o644);
    const longPath = `${'p'.repeat(140)}/${'q'.repeat(90)}`;
    await w.file(longPath, Buffer.from('split into prefix + name'), 0o444);
    const longer = `${'r'.repeat(200)}/${'s'.repeat(120)}`;
    await w.file(longer, Buffer.from('needs PAX'), 0o444);
    await w.finish();
    const bytes = readFileSync(tar);
    expect(bytes.length % BLOCK).toBe(0);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', tar], { encoding: 'utf8' });
    expect(listing).toMatch(/^drwxr-xr-x 0\/0 +0 1970-01-01 00:00 blobs\/$/m);
    expect(listing).toMatch(/^-r--r--r-- 0\/0 +24 1970-01-01 00:00 p+\/q+$/m);
    expect(listing).toContain('1970-01-01 00:00 index.json');
    expect(execFileSync('tar', ['-xOf', tar, longPath], { encoding: 'utf8' })).toBe('split into prefix + name');
    expect(execFileSync('tar', ['-xOf', tar, longer], { encoding: 'utf8' })).toBe('needs PAX');
    const py = execFileSync('/usr/bin/python3', ['-c', 'import tarfile,sys; print("\\n".join(f"{m.name} {m.mode:o} {m.uid} {m.mtime}" for m in tarfile.open(sys.argv[1])))', tar], { encoding: 'utf8' });
    expect(py).toContain(`${longPath} 444 0 0`);
    expect(py).toContain('index.json 644 0 0');
    expect(await entriesOf(tar)).toMatchObject({ 'index.json': '{"x":1}', [longPath]: 'split into prefix + name', [longer]: 'needs PAX' });
  });
});
