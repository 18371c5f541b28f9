/**
 * Every bad input from issue 2, through the CLI: exit 2, one line on stderr, no stack trace, the
 * input bytes unchanged, nothing at the output path, no temp file left, no blob left in the strip
 * directory. Hostile tars are made by Python's tarfile (a peer we did not write).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runCli } from '../../helpers/cli.js';
import { buildRichLayout, type RichLayout } from './build-fixtures.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PYTHON = '/usr/bin/python3';
const HELLO = join(import.meta.dirname, '../../fixtures/layout/hello-world.tar');
/** What a reader that stopped at the first header may have been handed: its reads plus the pipes' buffers. */
const FED_BOUND = 4 * 1024 * 1024;
/** Where an endless stdin is cut off: a reader still going by then would read forever. */
const ENDLESS_LIMIT = 256 * 1024 * 1024;

/**
 * Feeds the endless output of `producer` (a shell pipeline) to `airsign inspect -`, holding back
 * while airsign's stdin is full, and counts the bytes handed over until airsign closes it; past
 * ENDLESS_LIMIT airsign is stopped (code null).
 */
async function inspectEndless(producer: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; fed: number }> {
  const source = spawn('sh', ['-c', producer], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  const child = spawn(...cliCommand(['inspect', '-']), { env, stdio: ['pipe', 'ignore', 'pipe'] });
  let fed = 0;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {}); // EPIPE once airsign has stopped reading: what we wait for
  child.stdin.on('drain', () => source.stdout.resume());
  source.stdout.on('data', (chunk: Buffer) => {
    if (child.stdin.destroyed) return;
    fed += chunk.length;
    if (fed > ENDLESS_LIMIT) child.kill('SIGKILL');
    else if (!child.stdin.write(chunk)) source.stdout.pause();
  });
  const code = await new Promise<number | null>((done) => child.on('close', (status) => done(status)));
  source.stdout.destroy();
  process.kill(-source.pid!, 'SIGKILL'); // the producer's whole pipeline (cat, gzip, yes)
  return { code, stderr, fed };
}
const work = tempDir('airsign-bad-input-');
let rich: RichLayout;
let richTar: string;

beforeAll(() => {
  rich = buildRichLayout(join(work, 'rich-dir'));
  richTar = rich.builder.tar(join(work, 'rich.tar'));
});

interface Member {
  name: string;
  type?: 'file' | 'symlink' | 'hardlink' | 'dir' | 'fifo';
  data?: string;
  linkname?: string;
}

/** Writes a tar with Python's tarfile: members of `base` (minus `skip`, with `replace`d contents), then `add`. */
function pyTar(out: string, spec: { base?: string; skip?: string[]; replace?: Record<string, string>; add?: Member[]; format?: 'ustar' | 'gnu' | 'pax' }): string {
  const script = `
import io, json, sys, tarfile
spec = json.load(open(sys.argv[2]))
fmt = {'ustar': tarfile.USTAR_FORMAT, 'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT}[spec.get('format') or 'ustar']
out = tarfile.open(sys.argv[1], 'w', format=fmt)
if spec.get('base'):
    src = tarfile.open(spec['base'])
    for m in src.getmembers():
        if m.name in (spec.get('skip') or []):
            continue
        data = src.extractfile(m).read() if m.isfile() else None
        if m.name in (spec.get('replace') or {}):
            data = spec['replace'][m.name].encode()
            m.size = len(data)
        out.addfile(m, io.BytesIO(data) if data is not None else None)
for a in spec.get('add') or []:
    i = tarfile.TarInfo(a['name'])
    t = a.get('type', 'file')
    data = None
    if t == 'file':
        data = a.get('data', '').encode(); i.size = len(data)
    elif t == 'symlink':
        i.type = tarfile.SYMTYPE; i.linkname = a['linkname']
    elif t == 'hardlink':
        i.type = tarfile.LNKTYPE; i.linkname = a['linkname']
    elif t == 'dir':
        i.type = tarfile.DIRTYPE
    elif t == 'fifo':
        i.type = tarfile.FIFOTYPE
    out.addfile(i, io.BytesIO(data) if data is not None else None)
out.close()
`;
  const specPath = `${out}.spec.json`;
  writeFileSync(specPath, JSON.stringify(spec));
  execFileSync(PYTHON, ['-c', script, out, specPath]);
  rmSync(specPath);
  return out;
}

interface Case {
  /** The input path (a file in its own directory). */
  input: string;
  args?: (input: string, out: string, dir: string) => string[];
  code: string | RegExp;
  message?: RegExp;
}

function expectBadInput(c: Case): void {
  const caseDir = mkdtempSync(join(work, 'case-'));
  const outDir = join(caseDir, 'out');
  mkdirSync(outDir);
  const out = join(outDir, 'result.tar');
  const stripDir = join(caseDir, 'layers');
  const before = sha256File(c.input);
  const args = c.args ? c.args(c.input, out, stripDir) : ['strip', c.input, '--directory', stripDir, '--output', out];
  const r = runCli(args);
  const json = runCli([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^airsign: error: /);
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  if (c.message) expect(r.stderr).toMatch(c.message);
  const err = JSON.parse(json.stdout).error;
  if (typeof c.code === 'string') expect(err.code).toBe(c.code);
  else expect(err.code).toMatch(c.code);
  expect(sha256File(c.input), 'input changed').toBe(before);
  expect(existsSync(out), 'output left behind').toBe(false);
  expect(readdirSync(outDir), 'temp files left behind').toEqual([]);
  expect(readdirSync(join(c.input, '..')).filter((n) => n.includes('airsign') && n.endsWith('.tmp'))).toEqual([]);
  if (existsSync(join(stripDir, 'sha256'))) expect(readdirSync(join(stripDir, 'sha256')), 'blob left in strip dir').toEqual([]);
  expect(existsSync(join(stripDir, 'airsign-strip.json'))).toBe(false);
}

function inCase(name: string, make: (path: string) => void): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  const path = join(dir, 'input.tar');
  make(path);
  return path;
}

describe('bad tar input', () => {
  it('truncated tar', () => {
    const input = inCase('trunc', (p) => {
      copyFileSync(richTar, p);
      truncateSync(p, Math.floor(readFileSync(richTar).length / 2));
    });
    expectBadInput({ input, code: 'TAR_TRUNCATED', message: /truncated/ });
  });

  it('tar cut just before its end-of-archive marker', () => {
    const input = inCase('trunc-end', (p) => {
      copyFileSync(HELLO, p);
      truncateSync(p, readFileSync(HELLO).length - 1024);
    });
    expectBadInput({ input, code: 'TAR_TRUNCATED' });
  });

  it.each([
    ['../ in a name', '../evil'],
    ['a .. component inside a name', 'blobs/../../evil'],
    ['an absolute name', '/etc/evil'],
    ['a drive-letter name', 'C:\\evil'],
    ['a backslash name', '..\\evil'],
  ])('%s', (_label, name) => {
    const input = inCase('unsafe', (p) => pyTar(p, { base: HELLO, add: [{ name, data: 'x' }] }));
    expectBadInput({ input, code: 'TAR_UNSAFE_PATH' });
  });

  it.each([
    ['symlink', { name: 'blobs/sha256/link', type: 'symlink', linkname: '/etc/passwd' } satisfies Member],
    ['hardlink', { name: 'extra', type: 'hardlink', linkname: 'index.json' } satisfies Member],
  ])('%s entry', (_label, member) => {
    const input = inCase('link', (p) => pyTar(p, { base: HELLO, add: [member] }));
    expectBadInput({ input, code: 'TAR_LINK_ENTRY' });
  });

  it('device/fifo entry', () => {
    const input = inCase('fifo', (p) => pyTar(p, { base: HELLO, add: [{ name: 'fifo', type: 'fifo' }] }));
    expectBadInput({ input, code: 'TAR_UNSUPPORTED_ENTRY' });
  });

  it('duplicate entries (also when one has a ./ prefix)', () => {
    const a = inCase('dup', (p) => pyTar(p, { base: HELLO, add: [{ name: 'index.json', data: '{}' }] }));
    expectBadInput({ input: a, code: 'TAR_DUPLICATE_ENTRY' });
    const b = inCase('dup2', (p) => pyTar(p, { base: HELLO, add: [{ name: './oci-layout', data: '{}' }] }));
    expectBadInput({ input: b, code: 'TAR_DUPLICATE_ENTRY' });
  });

  it('bad header checksum, and a file that is not a tar at all', () => {
    const a = inCase('cksum', (p) => {
      const bytes = readFileSync(HELLO);
      bytes[512 * 2 + 10]! ^= 0x01; // a name byte of the first blob's header
      writeFileSync(p, bytes);
    });
    expectBadInput({ input: a, code: 'TAR_BAD_CHECKSUM' });
    const b = inCase('nottar', (p) => writeFileSync(p, 'this is not a tar file\n'.repeat(100)));
    expectBadInput({ input: b, code: 'TAR_NOT_A_TAR', message: /is not a tar file/ });
  });

  it('a 6-byte text file is "not a tar file", not "truncated"', () => {
    const input = inCase('six', (p) => writeFileSync(p, 'hello\n'));
    expectBadInput({ input, code: 'TAR_NOT_A_TAR', message: /is not a tar file \(6 bytes/ });
  });

  it.each([
    ['zeros', 'cat /dev/zero'],
    ['random bytes', 'cat /dev/urandom'],
    ['gzip-compressed zeros', 'cat /dev/zero | gzip -1'],
    ['a tar header then text', `cat ${HELLO} | head -c 512; yes`],
  ])('an endless stdin of %s stops at the first invalid header, spooling nothing left behind', async (_label, producer) => {
    const spoolDir = mkdtempSync(join(work, 'tmpdir-'));
    const r = await inspectEndless(producer, { ...process.env, TMPDIR: spoolDir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^airsign: error: (stdin is not a tar file|stdin is not a valid gzip stream|tar header at offset 512 has a bad checksum)/);
    // Bounded by bytes, not by a clock: airsign stopped reading after the first header's worth plus
    // what the pipes hold (about 0.4 MiB here), where a reader that went on would take ENDLESS_LIMIT.
    expect(r.fed).toBeLessThan(FED_BOUND);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('stdin: a tar followed by endless data is read up to its end-of-archive marker', () => {
    const r = spawnSync('sh', ['-c', `(cat ${HELLO}; yes) | "${process.execPath}" "${join(import.meta.dirname, '../../../bin/airsign.js')}" inspect -`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/oci-layout 1\.0\.0/);
  });

  it('corrupt gzip input', () => {
    const input = inCase('gz', (p) => {
      const gz = execFileSync('gzip', ['-c', HELLO]);
      writeFileSync(p, gz.subarray(0, gz.length - 40));
    });
    expectBadInput({ input, code: 'GZIP_CORRUPT' });
    const spoolDir = mkdtempSync(join(work, 'tmpdir-'));
    const r = runCli(['inspect', '-'], { input: readFileSync(input), env: { ...process.env, TMPDIR: spoolDir } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a valid gzip stream/);
    expect(readdirSync(spoolDir), 'spool files left behind').toEqual([]);
  });
});

describe('bad layout input', () => {
  it('blob whose content does not match its digest name', () => {
    const input = inCase('mismatch', (p) => {
      const bytes = readFileSync(richTar);
      const l = rich.layers[1]!;
      const names = execFileSync('tar', ['tvf', richTar], { encoding: 'utf8' });
      expect(names).toContain(l.digest.slice(7));
      // flip a byte in the middle of the 1.2 MB layer (after its header)
      const at = bytes.indexOf(Buffer.from(`blobs/sha256/${l.digest.slice(7)}`));
      bytes[at + 512 + 700_000]! ^= 0xff;
      writeFileSync(p, bytes);
    });
    expectBadInput({ input, code: 'LAYOUT_DIGEST_MISMATCH', message: /does not match its digest/ });
  });

  it('a metadata blob (attestation layer) whose content does not match, found while copying into the output', () => {
    const input = inCase('mismatch-meta', (p) => {
      const bytes = readFileSync(richTar);
      const intoto = execFileSync('tar', ['tf', richTar], { encoding: 'utf8' }).split('\n').find((n) => {
        if (!n.startsWith('blobs/sha256/') || n.length !== 77) return false;
        return execFileSync('tar', ['xOf', richTar, n], { maxBuffer: 1 << 26 }).subarray(0, 12).toString() === '{"_type":"ht';
      })!;
      const at = bytes.indexOf(Buffer.from(intoto));
      bytes[at + 512 + 3]! ^= 0x01;
      writeFileSync(p, bytes);
    });
    expectBadInput({ input, code: 'LAYOUT_DIGEST_MISMATCH' });
  });

  it('missing index.json / oci-layout', () => {
    expectBadInput({ input: inCase('noindex', (p) => pyTar(p, { base: HELLO, skip: ['index.json'] })), code: 'LAYOUT_NO_INDEX' });
    expectBadInput({ input: inCase('nolayout', (p) => pyTar(p, { base: HELLO, skip: ['oci-layout'] })), code: 'LAYOUT_NO_OCI_LAYOUT' });
  });

  it('a tar that is not an OCI layout says how to make one; an older `docker save` tar is named as such', () => {
    const dockerSave = [{ name: 'manifest.json', data: '[{"Config":"c.json","RepoTags":["app:1.4"],"Layers":[]}]' }, { name: 'c.json', data: '{}' }];
    expectBadInput({ input: inCase('docker-save', (p) => pyTar(p, { add: dockerSave })), code: 'LAYOUT_NO_OCI_LAYOUT', message: /looks like `docker save` output: .*-o type=oci,dest=image\.tar.*skopeo copy docker-archive:in\.tar oci-archive:image\.tar/ });
    expectBadInput({ input: inCase('not-an-image', (p) => pyTar(p, { add: [{ name: 'README.md', data: 'hello' }] })), code: 'LAYOUT_NO_OCI_LAYOUT', message: /make one with `docker buildx build -o type=oci,dest=image\.tar \.`/ });
  });

  it('index.json that is not JSON, nests too deep, or is huge', () => {
    expectBadInput({ input: inCase('notjson', (p) => pyTar(p, { base: HELLO, replace: { 'index.json': '{"schemaVersion":2,' } })), code: 'LAYOUT_BAD_JSON' });
    const deep = `{"schemaVersion":2,"manifests":[],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectBadInput({ input: inCase('deep', (p) => pyTar(p, { base: HELLO, replace: { 'index.json': deep } })), code: 'LAYOUT_JSON_TOO_DEEP' });
    const huge = `{"schemaVersion":2,"manifests":[],"x":"${'a'.repeat(5 * 1024 * 1024)}"}`;
    expectBadInput({ input: inCase('huge', (p) => pyTar(p, { base: HELLO, replace: { 'index.json': huge } })), code: 'LAYOUT_JSON_TOO_LARGE' });
    expectBadInput({ input: inCase('notindex', (p) => pyTar(p, { base: HELLO, replace: { 'index.json': '[1,2]' } })), code: 'LAYOUT_BAD_INDEX' });
  });

  it('manifest referring to a missing blob', () => {
    const input = inCase('missingblob', (p) => pyTar(p, { base: richTar, skip: [`blobs/sha256/${rich.layers[0]!.digest.slice(7)}`] }));
    expectBadInput({ input, code: 'LAYOUT_MISSING_BLOB', message: /missing/ });
  });

  it('a stripped tar given to a command that needs layers', () => {
    const dir = mkdtempSync(join(work, 'stripped-'));
    const input = join(dir, 'input.tar');
    const s = runCli(['strip', richTar, '-d', join(dir, 'layers0'), '-o', input]);
    expect(s.code, s.stderr).toBe(0);
    expectBadInput({ input, code: 'LAYOUT_STRIPPED', message: /already stripped/ });
  });
});

describe('bad strip directory', () => {
  function strippedCase(name: string) {
    const dir = mkdtempSync(join(work, `${name}-`));
    const input = join(dir, 'input.tar');
    const layers = join(dir, 'layers');
    expect(runCli(['strip', richTar, '-d', layers, '-o', input]).code).toBe(0);
    return { input, layers };
  }
  const repackArgs = (layers: string) => (input: string, out: string) => ['repack', input, '--directory', layers, '--output', out];

  it('a --directory with a wrong blob (same size, other bytes)', () => {
    const { input, layers } = strippedCase('wrongblob');
    const path = join(layers, 'sha256', rich.layers[2]!.digest.slice(7));
    const bytes = readFileSync(path);
    bytes[100]! ^= 0xff;
    rmSync(path, { force: true });
    writeFileSync(path, bytes);
    expectBadInput({ input, args: repackArgs(layers), code: 'STRIP_DIR_WRONG_BLOB', message: /does not match/ });
  });

  it('a --directory with a blob of the wrong size, or missing one', () => {
    const a = strippedCase('wrongsize');
    const path = join(a.layers, 'sha256', rich.layers[0]!.digest.slice(7));
    rmSync(path, { force: true });
    writeFileSync(path, 'short');
    expectBadInput({ input: a.input, args: repackArgs(a.layers), code: 'STRIP_DIR_WRONG_BLOB' });
    const b = strippedCase('missing');
    rmSync(join(b.layers, 'sha256', rich.layers[1]!.digest.slice(7)));
    expectBadInput({ input: b.input, args: repackArgs(b.layers), code: 'STRIP_DIR_MISSING_BLOB' });
  });

  it('a --directory not made by strip, or made from another image', () => {
    const a = strippedCase('norecord');
    const empty = join(work, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    expectBadInput({ input: a.input, args: repackArgs(empty), code: 'STRIP_DIR_NO_RECORD' });
    const helloLayers = join(work, 'hello-layers');
    expect(runCli(['strip', HELLO, '-d', helloLayers, '-o', join(work, 'hello-stripped.tar')]).code).toBe(0);
    expectBadInput({ input: a.input, args: repackArgs(helloLayers), code: 'STRIP_DIR_WRONG_IMAGE' });
  });
});

describe('disk full', () => {
  const mountPoint = join(tmpdir(), `airsign-tmpfs-${process.pid}`);
  let mounted = false;
  beforeAll(() => {
    mkdirSync(mountPoint, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { encoding: 'utf8' });
    mounted = r.status === 0;
    if (!mounted) console.warn(`disk-full tests skipped: cannot mount a tmpfs here (${r.stderr.trim() || r.error?.message})`);
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('fails with OUTPUT_WRITE_FAILED and leaves nothing on a full disk (--output)', (ctx) => {
    if (!mounted) ctx.skip();
    const dir = mkdtempSync(join(work, 'full-'));
    const input = join(dir, 'input.tar');
    const layers = join(dir, 'layers');
    expect(runCli(['strip', richTar, '-d', layers, '-o', input]).code).toBe(0);
    // the repacked tar (~1.8 MB) does not fit in 1 MiB
    expectBadInput({ input, args: (i) => ['repack', i, '-d', layers, '-o', join(mountPoint, 'out.tar')], code: 'OUTPUT_WRITE_FAILED', message: /no space left on device/ });
    expect(readdirSync(mountPoint)).toEqual([]);
  });

  it('fails with OUTPUT_WRITE_FAILED and keeps the input when replacing in place', (ctx) => {
    if (!mounted) ctx.skip();
    const layers = join(work, 'full-inplace-layers');
    const input = join(mountPoint, 'input.tar');
    expect(runCli(['strip', richTar, '-d', layers, '-o', input]).code).toBe(0);
    const before = sha256File(input);
    const r = runCli(['repack', input, '-d', layers]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/OUTPUT|ENOSPC|no space/i);
    expect(sha256File(input)).toBe(before);
    expect(readdirSync(mountPoint)).toEqual(['input.tar']);
  });
});
