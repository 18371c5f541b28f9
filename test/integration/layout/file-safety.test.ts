/**
 * What the commands do with the files around them: in-place signing through a symbolic link, a
 * strip directory behind a symbolic link, outputs that are links or devices, a repack output
 * inside the strip directory, a strip record that is not a regular file, error texts in words
 * (never errno codes or temp names), a refused strip that leaves no directory, stale temp files of
 * a killed run, and full disks (exit 2).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../../src/fs/temp-files.js';
import { runCli } from '../../helpers/cli.js';
import { listDir, readLayoutIndex, sha256File } from '../../helpers/sign-checks.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
let work: string;
let ec: TestChain;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'airsign-file-safety-'));
  ec = makeTestChain('ec-p256');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fresh(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(SAMPLES, 'single.tar'), join(dir, 'image.tar'));
  return dir;
}

function expectOneLineError(r: { code: number; stderr: string }, code: number, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\bE[A-Z]{3,}\b|\.airsign-[0-9a-f]+/);
}

const sign = (...args: string[]) => runCli(['sign', ...args, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation']);

describe('in place through a symbolic link', () => {
  it('signs the file the link points to and keeps the link', () => {
    const dir = fresh('symlink');
    symlinkSync('image.tar', join(dir, 'link.tar'));
    const r = sign(join(dir, 'link.tar'));
    expect(r.code, r.stderr).toBe(0);
    expect(readlinkSync(join(dir, 'link.tar'))).toBe('image.tar');
    expect(readLayoutIndex(join(dir, 'image.tar')).manifests).toHaveLength(2);
    expect(listDir(dir)).toEqual(['image.tar', 'link.tar']);
  });
});

describe('a strip directory reached through a symbolic link', () => {
  it('strip writes through the link, and a second strip and repack read through it', () => {
    const dir = fresh('strip-dir-link');
    const before = sha256File(join(dir, 'image.tar'));
    mkdirSync(join(dir, 'real-layers'));
    symlinkSync('real-layers', join(dir, 'layers'));
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped.tar')]).code).toBe(0);
    const again = runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped2.tar')]);
    expect(again.code, again.stderr).toBe(0);
    const r = runCli(['repack', join(dir, 'stripped.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'full.tar')]);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256File(join(dir, 'full.tar'))).toBe(before);
    expect(readlinkSync(join(dir, 'layers'))).toBe('real-layers');
  });
});

describe('outputs that are not regular files', () => {
  it('refuses an --output that is a symbolic link and leaves the link and its target alone', () => {
    const dir = fresh('out-link');
    writeFileSync(join(dir, 'victim'), 'keep me');
    symlinkSync('victim', join(dir, 'out.tar'));
    for (const args of [['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'out.tar')], ['sign', join(dir, 'image.tar'), '--output', join(dir, 'out.tar'), '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation']]) {
      expectOneLineError(runCli(args), 2, `output ${join(dir, 'out.tar')} is a symbolic link`);
    }
    expect(readlinkSync(join(dir, 'out.tar'))).toBe('victim');
    expect(listDir(dir)).toEqual(['image.tar', 'out.tar', 'victim']);
  });

  it('refuses a --record that is a symbolic link before anything is signed', () => {
    const dir = fresh('record-link');
    writeFileSync(join(dir, 'victim'), 'keep me');
    symlinkSync('victim', join(dir, 'record.json'));
    const before = sha256File(join(dir, 'image.tar'));
    expectOneLineError(sign(join(dir, 'image.tar'), '--record', join(dir, 'record.json')), 2, `the record ${join(dir, 'record.json')} is a symbolic link`);
    expect(sha256File(join(dir, 'image.tar'))).toBe(before);
    expect(listDir(dir)).toEqual(['image.tar', 'record.json', 'victim']);
  });

  it('refuses a device such as /proc/self/fd/1 or /dev/null', () => {
    const dir = fresh('out-device');
    expectOneLineError(sign(join(dir, 'image.tar'), '--output', '/dev/null'), 2, 'output /dev/null is not a regular file');
    expectOneLineError(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', '/proc/self/fd/1']), 2, '/proc/self/fd/1 is a symbolic link');
    expect(listDir(dir)).toEqual(['image.tar']);
  });

  it('refuses a repack --output inside the strip directory', () => {
    const dir = fresh('out-in-strip');
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers')]).code).toBe(0);
    const before = listDir(join(dir, 'layers'));
    expectOneLineError(runCli(['repack', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'layers', 'full.tar')]), 2, 'is inside the strip directory');
    expect(listDir(join(dir, 'layers'))).toEqual(before);
  });
});

describe('error text in words', () => {
  it('names a missing input and a missing output directory plainly', () => {
    const dir = fresh('words');
    expectOneLineError(runCli(['inspect', join(dir, 'ap.tar')]), 2, `${join(dir, 'ap.tar')}: no such file`);
    expectOneLineError(sign(join(dir, 'image.tar'), '--output', '/missing/dir/out.tar'), 2, 'the directory /missing/dir does not exist');
    expectOneLineError(runCli(['repack', join(dir, 'image.tar'), '-d', dir, '-o', '/missing/dir/out.tar']), 2, /no airsign-strip\.json|the directory \/missing\/dir does not exist/);
  });

  it('a refused strip leaves no --directory it created', () => {
    const dir = fresh('refused-strip');
    expectOneLineError(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'new', 'layers'), '-o', '/missing/dir/out.tar']), 2, 'the directory /missing/dir does not exist');
    expect(listDir(dir)).toEqual(['image.tar']);
  });
});

describe('a strip directory whose folders do not exist yet', () => {
  it('strip makes a/b/layers (its lock sits in a/b), repack puts the layers back; a missing one is named plainly', () => {
    const dir = fresh('nested');
    const layers = join(dir, 'a', 'b', 'layers');
    const strip = runCli(['strip', join(dir, 'image.tar'), '-d', layers, '-o', join(dir, 'meta.tar')]);
    expect(strip.code, strip.stderr).toBe(0);
    expect(existsSync(join(layers, 'airsign-strip.json'))).toBe(true);
    const repack = runCli(['repack', join(dir, 'meta.tar'), '-d', layers, '-o', join(dir, 'full.tar')]);
    expect(repack.code, repack.stderr).toBe(0);
    expect(sha256File(join(dir, 'full.tar'))).toBe(sha256File(join(dir, 'image.tar')));
    const missing = runCli(['repack', join(dir, 'meta.tar'), '-d', join(dir, 'x', 'y', 'layers'), '-o', join(dir, 'full2.tar')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).not.toContain('cannot lock');
    expect(listDir(dir).sort()).toEqual(['a', 'full.tar', 'image.tar', 'meta.tar']);
  });

  it('a refused strip takes away the folders it made for the directory', () => {
    const dir = fresh('nested-refused');
    copyFileSync(join(dir, 'image.tar'), join(dir, 'meta.tar'));
    expect(runCli(['strip', join(dir, 'meta.tar'), '-d', join(dir, 'first')]).code).toBe(0);
    // meta.tar is stripped now: a second strip into new folders is refused and leaves none of them.
    expect(runCli(['strip', join(dir, 'meta.tar'), '-d', join(dir, 'p', 'q', 'layers')]).code).toBe(2);
    expect(existsSync(join(dir, 'p'))).toBe(false);
  });
});

describe('the strip record', () => {
  it('is refused when it is not a regular file (a link to /dev/zero is not read)', () => {
    const dir = fresh('record-zero');
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers')]).code).toBe(0);
    rmSync(join(dir, 'layers', 'airsign-strip.json'));
    symlinkSync('/dev/zero', join(dir, 'layers', 'airsign-strip.json'));
    const r = spawnSync('bash', ['-c', `ulimit -v 4000000; exec "${process.execPath}" ${JSON.stringify(join(SAMPLES, '../bin/airsign.js'))} repack ${JSON.stringify(join(dir, 'image.tar'))} -d ${JSON.stringify(join(dir, 'layers'))}`], { encoding: 'utf8', timeout: 60_000 });
    expectOneLineError({ code: r.status ?? -1, stderr: r.stderr }, 2, 'airsign-strip.json: not a regular file');
  });
});

describe('stale temp files', () => {
  it('a later run removes temp files a killed run of this host left, and keeps others', () => {
    const dir = fresh('stale');
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const stale = `.image.tar.airsign-${HOST_TAG}-${dead}-12345678.tmp`;
    const foreign = `.image.tar.airsign-${HOST_TAG === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-${dead}-12345678.tmp`;
    writeFileSync(join(dir, stale), 'half a tar');
    writeFileSync(join(dir, foreign), 'another host');
    expect(sign(join(dir, 'image.tar')).code).toBe(0);
    expect(listDir(dir)).toEqual([foreign, 'image.tar']);
  });

  it('signing a layout directory in place removes a killed run\'s temp files beside index.json and in blobs/', () => {
    const dir = join(work, 'stale-dir');
    mkdirSync(dir);
    expect(spawnSync('tar', ['-xf', join(SAMPLES, 'single.tar'), '-C', dir]).status).toBe(0);
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(join(dir, `.index.json.airsign-${HOST_TAG}-${dead}-12345678.tmp`), '{"half');
    writeFileSync(join(dir, 'blobs', 'sha256', `.${'ab'.repeat(32)}.airsign-${HOST_TAG}-${dead}-12345678.tmp`), 'half a blob');
    const before = { root: listDir(dir), blobs: listDir(join(dir, 'blobs', 'sha256')).filter((n) => !n.startsWith('.')) };
    expect(sign(dir).code).toBe(0);
    expect(listDir(dir)).toEqual(before.root.filter((n) => !n.startsWith('.')));
    const blobs = listDir(join(dir, 'blobs', 'sha256'));
    expect(blobs.filter((n) => n.startsWith('.'))).toEqual([]);
    expect(blobs.length).toBeGreaterThan(before.blobs.length);
  });
});

describe('disk full is exit 2', () => {
  const mountPoint = join(tmpdir(), `airsign-full-${process.pid}`);
  let mounted = false;
  let bigTar: string;
  beforeAll(() => {
    mkdirSync(mountPoint, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { encoding: 'utf8' });
    mounted = r.status === 0;
    if (!mounted) console.warn(`disk-full tests skipped: cannot mount a tmpfs here (${r.stderr.trim()})`);
    bigTar = join(work, 'one-mib.tar');
    const made = spawnSync(process.execPath, [join(SAMPLES, '../scripts/make-samples.mjs'), '--size', '1MiB', '--output', bigTar], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('a full $TMPDIR while spooling stdin is a clean exit 2', (ctx) => {
    if (!mounted) ctx.skip();
    const r = spawnSync(process.execPath, [join(SAMPLES, '../bin/airsign.js'), 'inspect', '-'], {
      input: readFileSync(bigTar),
      env: { ...process.env, TMPDIR: mountPoint },
      encoding: 'utf8',
    });
    // stdin from a pipe is spooled; the tar does not fit in 256 KiB.
    expectOneLineError({ code: r.status ?? -1, stderr: r.stderr }, 2, `in ${mountPoint}: no space left on device`);
    expect(readdirSync(mountPoint)).toEqual([]);
  });

  it('cert create on a full disk fails cleanly and leaves no temp file', (ctx) => {
    if (!mounted) ctx.skip();
    writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(0));
    // Fill the file system to the last block.
    spawnSync('dd', ['if=/dev/zero', `of=${join(mountPoint, 'filler')}`, 'bs=4k'], { encoding: 'utf8' });
    const r = runCli(['cert', 'create', '--key', ec.keyPath, '--subject', 'CN=x', '-o', join(mountPoint, 'c.pem')]);
    expectOneLineError(r, 2, `cannot write ${join(mountPoint, 'c.pem')}: no space left on device`);
    expect(readdirSync(mountPoint)).toEqual(['filler']);
    rmSync(join(mountPoint, 'filler'));
  });

  // strip, repack and sign on a full disk (bad-input.test.ts has repack --output and repack in place):
  // one error line, exit 2, the error code in --json, no partial file anywhere, the input unchanged.
  const emptyMount = () => {
    for (const name of readdirSync(mountPoint)) rmSync(join(mountPoint, name), { recursive: true, force: true });
  };
  const fillMount = () => spawnSync('dd', ['if=/dev/zero', `of=${join(mountPoint, 'filler')}`, 'bs=4k'], { encoding: 'utf8' });
  const AIRSIGN = join(SAMPLES, '../bin/airsign.js');
  function expectFullDisk(args: string[], options: { code: string; input: string; stdin?: Buffer; tmpdir?: string }): void {
    const before = sha256File(options.input);
    const spawnOptions = { encoding: 'utf8' as const, ...(options.stdin ? { input: options.stdin } : {}), env: { ...process.env, ...(options.tmpdir ? { TMPDIR: options.tmpdir } : {}) } };
    const r = spawnSync(process.execPath, [AIRSIGN, ...args], spawnOptions);
    expectOneLineError({ code: r.status ?? -1, stderr: r.stderr }, 2, /no space left on device/);
    const json = spawnSync(process.execPath, [AIRSIGN, ...args, '--json'], spawnOptions);
    expect(json.status).toBe(2);
    expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code, json.stdout).toBe(options.code);
    expect(sha256File(options.input), 'input changed').toBe(before);
  }

  it('strip with the strip directory, or the output, on a full disk', (ctx) => {
    if (!mounted) ctx.skip();
    emptyMount();
    const dir = join(work, 'full-strip');
    mkdirSync(dir);
    // The 1 MiB of layers does not fit in 256 KiB: no directory, no layer file, no record, no output.
    expectFullDisk(['strip', bigTar, '-d', join(mountPoint, 'layers'), '-o', join(dir, 'out.tar')], { code: 'OUTPUT_WRITE_FAILED', input: bigTar });
    expect(readdirSync(mountPoint)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    // The stripped tar (a few KiB) on a disk full to the last block: the layer files written meanwhile go again.
    fillMount();
    expectFullDisk(['strip', bigTar, '-d', join(dir, 'layers'), '-o', join(mountPoint, 'out.tar')], { code: 'OUTPUT_WRITE_FAILED', input: bigTar });
    expect(readdirSync(mountPoint)).toEqual(['filler']);
    expect(readdirSync(dir)).toEqual([]);
    emptyMount();
  });

  it('sign --output on a full disk, and sign and strip in place on a full disk', (ctx) => {
    if (!mounted) ctx.skip();
    emptyMount();
    expectFullDisk(['sign', bigTar, '--output', join(mountPoint, 'out.tar'), '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation'], {
      code: 'OUTPUT_WRITE_FAILED',
      input: bigTar,
    });
    expect(readdirSync(mountPoint)).toEqual([]);
    // In place: the input fits, its replacement does not.
    const input = join(mountPoint, 'image.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    fillMount();
    expectFullDisk(['sign', input, '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'cosign', '--identity', 'registry.example/app:1'], { code: 'OUTPUT_WRITE_FAILED', input });
    const layers = join(work, 'full-inplace-strip-layers');
    expectFullDisk(['strip', input, '-d', layers], { code: 'OUTPUT_WRITE_FAILED', input });
    expect(existsSync(layers), 'the strip directory it made').toBe(false);
    expect(readdirSync(mountPoint).sort()).toEqual(['filler', 'image.tar']);
    emptyMount();
  });

  it('strip and repack of stdin, and sign of a .tar.gz, with $TMPDIR on a full disk', (ctx) => {
    if (!mounted) ctx.skip();
    emptyMount();
    const dir = join(work, 'full-tmpdir');
    mkdirSync(dir);
    const layers = join(dir, 'layers');
    const stripped = join(dir, 'stripped.tar');
    expect(runCli(['strip', bigTar, '-d', layers, '-o', stripped]).code).toBe(0);
    const gzipped = join(work, 'one-mib.tar.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(bigTar)));
    const cases: Array<{ args: string[]; input: string }> = [
      { args: ['strip', '-', '-d', join(dir, 'layers2'), '-o', join(dir, 'out.tar')], input: bigTar },
      // sign does not read stdin, but a .tar.gz is spooled the same way.
      { args: ['sign', gzipped, '-o', join(dir, 'out.tar'), '--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation'], input: gzipped },
      // A stripped tar is small: fill the disk so that it does not fit either.
      { args: ['repack', '-', '-d', layers, '-o', join(dir, 'out.tar')], input: stripped },
    ];
    for (const c of cases) {
      if (c.input === stripped) fillMount();
      expectFullDisk(c.args, { code: 'OUTPUT_WRITE_FAILED', input: c.input, ...(c.args[1] === '-' ? { stdin: readFileSync(c.input) } : {}), tmpdir: mountPoint });
      expect(readdirSync(mountPoint).filter((n) => n !== 'filler'), `${c.args[0]}: left in $TMPDIR`).toEqual([]);
      expect(readdirSync(dir).sort(), `${c.args[0]}: left beside the output`).toEqual(['layers', 'stripped.tar']);
    }
    emptyMount();
  });
});
