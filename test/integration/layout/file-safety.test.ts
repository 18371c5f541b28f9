/**
 * What the commands do with the files around them: in-place signing through a symbolic link, a
 * strip directory behind a symbolic link, outputs that are links or devices, a repack output
 * inside the strip directory, a strip record that is not a regular file, error texts in words
 * (never errno codes or temp names), a refused strip that leaves no directory, stale temp files of
 * a killed run, and full disks (exit 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../../src/fs/temp-files.js';
import { cliCommand, runCli } from '../../helpers/cli.js';
import { listDir, readLayoutIndex } from '../../helpers/sign-checks.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { sha256Digest, sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const work = tempDir('airsign-file-safety-');
let ec: TestChain;

beforeAll(() => {
  ec = makeTestChain('ec-p256');
});

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

/** A layout directory from samples/single.tar. */
function freshDirectoryLayout(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  expect(spawnSync('tar', ['-xf', join(SAMPLES, 'single.tar'), '-C', dir]).status).toBe(0);
  return dir;
}

/** sha256 of every file under `dir` (relative path → digest), links named as links. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isSymbolicLink()) out[rel] = `-> ${readlinkSync(join(dir, rel))}`;
      else if (entry.isDirectory()) walk(rel);
      else out[rel] = sha256File(join(dir, rel));
    }
  };
  walk('');
  return out;
}

describe('no command overwrites its own inputs (issue 16)', () => {
  it('sign --record naming the input, the --output, the key or the certificate is refused, however spelled (exit 2)', () => {
    const dir = fresh('record-over-inputs');
    copyFileSync(ec.keyPath, join(dir, 'key.pem'));
    copyFileSync(ec.chainPath, join(dir, 'chain.pem'));
    linkSync(join(dir, 'key.pem'), join(dir, 'key-hardlink.json'));
    const before = snapshot(dir);
    const signWith = (...extra: string[]) => runCli(['sign', join(dir, 'image.tar'), '--key', join(dir, 'key.pem'), '--cert', join(dir, 'chain.pem'), '--format', 'notation', ...extra]);
    for (const record of [join(dir, 'image.tar'), join(dir, '..', 'record-over-inputs', 'key.pem'), join(dir, 'chain.pem'), join(dir, 'key-hardlink.json')]) {
      expectOneLineError(signWith('--record', record), 2, /is also an input|is the same file as/);
    }
    expectOneLineError(signWith('--output', join(dir, 'out.tar'), '--record', join(dir, '.', 'out.tar')), 2, /is the same file as/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('sign --record naming --pin-file or a pkcs11: URI\'s pin-source file is refused before the token is opened (exit 2)', () => {
    const dir = fresh('record-over-pin');
    writeFileSync(join(dir, 'pin.txt'), '1234\n');
    const before = snapshot(dir);
    const uri = `pkcs11:token=none;object=none?pin-source=file:${join(dir, 'pin.txt')}`;
    expectOneLineError(runCli(['sign', join(dir, 'image.tar'), '--key', uri, '--format', 'notation', '--record', join(dir, 'pin.txt')]), 2, /is also an input \(the pin-source/);
    expectOneLineError(runCli(['sign', join(dir, 'image.tar'), '--key', 'pkcs11:token=none;object=none', '--pin-file', join(dir, 'pin.txt'), '--format', 'notation', '--record', join(dir, 'pin.txt')]), 2, /is also an input \(--pin-file/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('sign --record or --output naming --tsa-root-cert, or inside the GPG --lookaside the run writes into, is refused (exit 2)', () => {
    const dir = fresh('record-over-tsa-root');
    copyFileSync(ec.rootPath, join(dir, 'tsa-root.pem'));
    mkdirSync(join(dir, 'sigstore'));
    const before = snapshot(dir);
    const base = ['sign', join(dir, 'image.tar'), '--key', ec.keyPath, '--cert', ec.chainPath];
    const tsa = [...base, '--format', 'notation', '--tsa', 'http://127.0.0.1:9/tsr', '--tsa-root-cert', join(dir, 'tsa-root.pem')];
    expectOneLineError(runCli([...tsa, '--record', join(dir, 'tsa-root.pem')]), 2, /is also an input \(--tsa-root-cert/);
    expectOneLineError(runCli([...tsa, '-o', join(dir, 'tsa-root.pem')]), 2, /is also an input \(--tsa-root-cert/);
    const gpg = [...base, '--format', 'gpg', '--identity', 'registry.example/app:1.4', '--lookaside', join(dir, 'sigstore')];
    expectOneLineError(runCli([...gpg, '--record', join(dir, 'sigstore', 'record.json')]), 2, /inside the --lookaside directory .* which this run writes into/);
    expectOneLineError(runCli([...gpg, '-o', join(dir, 'sigstore', 'signed.tar')]), 2, /inside the --lookaside directory .* which this run writes into/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('sign --output naming the key or the certificate is refused (exit 2)', () => {
    const dir = fresh('output-over-key');
    copyFileSync(ec.keyPath, join(dir, 'key.pem'));
    copyFileSync(ec.chainPath, join(dir, 'chain.pem'));
    const before = snapshot(dir);
    for (const output of [join(dir, 'key.pem'), join(dir, 'chain.pem')]) {
      expectOneLineError(runCli(['sign', join(dir, 'image.tar'), '--key', join(dir, 'key.pem'), '--cert', join(dir, 'chain.pem'), '--format', 'notation', '-o', output]), 2, /is also an input|is the same file as/);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('key export -o and cert create -o never replace the private key, even with --force, and replace other files only with --force', () => {
    const dir = join(work, 'key-outputs');
    mkdirSync(dir);
    copyFileSync(ec.keyPath, join(dir, 'key.pem'));
    writeFileSync(join(dir, 'old.pub'), 'an older file');
    const before = snapshot(dir);
    for (const force of [[], ['--force']]) {
      expectOneLineError(runCli(['key', 'export', join(dir, 'key.pem'), '-o', join(dir, 'key.pem'), ...force]), 2, /is also an input|is the same file as/);
      expectOneLineError(runCli(['cert', 'create', '--key', join(dir, 'key.pem'), '--subject', 'CN=x', '-o', join(dir, './key.pem'), ...force]), 2, /is also an input|is the same file as/);
    }
    expectOneLineError(runCli(['key', 'export', join(dir, 'key.pem'), '-o', join(dir, 'old.pub')]), 2, /exists.*--force/);
    expectOneLineError(runCli(['cert', 'create', '--key', join(dir, 'key.pem'), '--subject', 'CN=x', '-o', join(dir, 'old.pub')]), 2, /exists.*--force/);
    expect(snapshot(dir)).toEqual(before);
    expect(runCli(['key', 'export', join(dir, 'key.pem'), '-o', join(dir, 'old.pub'), '--force']).code).toBe(0);
    expect(readFileSync(join(dir, 'old.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    expect(runCli(['cert', 'create', '--key', join(dir, 'key.pem'), '--subject', 'CN=x', '-o', join(dir, 'old.pub'), '--force']).code).toBe(0);
    expect(readFileSync(join(dir, 'old.pub'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('key generate --force never replaces its own password file', () => {
    const dir = join(work, 'generate-over-password');
    mkdirSync(dir);
    writeFileSync(join(dir, 'pw.key'), 'secret\n');
    expectOneLineError(runCli(['key', 'generate', '--type', 'ecdsa-p256', '--cosign', '--password-file', join(dir, 'pw.key'), '-o', join(dir, 'pw.key'), '--force']), 2, /is also an input|is the same file as/);
    expect(readFileSync(join(dir, 'pw.key'), 'utf8')).toBe('secret\n');
  });

  it('strip refuses a strip directory that overlaps a layout directory, also through a symbolic link (exit 2)', () => {
    const layout = freshDirectoryLayout('strip-overlap');
    symlinkSync(join(layout, 'blobs'), join(work, 'strip-overlap-link'));
    const before = snapshot(layout);
    for (const directory of [join(layout, 'blobs'), join(work, 'strip-overlap-link'), layout, join(layout, 'layers'), work]) {
      expectOneLineError(runCli(['strip', layout, '-d', directory]), 2, /overlaps the layout/);
    }
    expect(snapshot(layout)).toEqual(before);
    expect(existsSync(join(layout, 'layers'))).toBe(false);
  });

  it('strip -o and sign -o into the strip directory are refused (exit 2)', () => {
    const dir = fresh('out-into-strip');
    expectOneLineError(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'layers', 'stripped.tar')]), 2, 'is inside the strip directory');
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped.tar')]).code).toBe(0);
    const layers = snapshot(join(dir, 'layers'));
    const layer = Object.keys(layers).find((name) => name.startsWith('sha256/'))!;
    expectOneLineError(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'layers', 'airsign-strip.json')]), 2, 'is inside the strip directory');
    for (const output of [join(dir, 'layers', 'airsign-strip.json'), join(dir, 'layers', layer)]) {
      expectOneLineError(sign(join(dir, 'stripped.tar'), '-o', output), 2, 'is inside the strip directory');
    }
    expect(snapshot(join(dir, 'layers'))).toEqual(layers);
  });

  it('a new --output and --record from a 0600 input are 0600', () => {
    const dir = fresh('modes');
    chmodSync(join(dir, 'image.tar'), 0o600);
    expect(sign(join(dir, 'image.tar'), '-o', join(dir, 'signed.tar'), '--record', join(dir, 'record.json')).code).toBe(0);
    expect(statSync(join(dir, 'signed.tar')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'record.json')).mode & 0o777).toBe(0o600);
    expect(runCli(['strip', join(dir, 'signed.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped.tar')]).code).toBe(0);
    expect(statSync(join(dir, 'stripped.tar')).mode & 0o777).toBe(0o600);
    expect(runCli(['repack', join(dir, 'stripped.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'full.tar')]).code).toBe(0);
    expect(statSync(join(dir, 'full.tar')).mode & 0o777).toBe(0o600);
  });
});

describe('layout and strip directories are closed (issue 16)', () => {
  it('a layout directory whose blobs/ or blobs/sha256/ is a symbolic link is refused; nothing is written where it points (exit 2)', () => {
    for (const linked of ['blobs', 'blobs/sha256']) {
      const layout = freshDirectoryLayout(`linked-${linked.replace('/', '-')}`);
      const elsewhere = `${layout}-elsewhere`;
      renameSync(join(layout, linked), elsewhere);
      symlinkSync(elsewhere, join(layout, linked));
      const before = { layout: snapshot(layout), elsewhere: snapshot(elsewhere) };
      expectOneLineError(sign(layout), 2, 'is a symbolic link');
      expectOneLineError(runCli(['strip', layout, '-d', join(work, `linked-${linked.replace('/', '-')}-layers`)]), 2, 'is a symbolic link');
      expect(snapshot(layout)).toEqual(before.layout);
      expect(snapshot(elsewhere)).toEqual(before.elsewhere);
    }
  });

  it('a strip directory whose sha256/ is a symbolic link is refused by strip and repack (exit 2)', () => {
    const dir = fresh('strip-sha256-link');
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped.tar')]).code).toBe(0);
    renameSync(join(dir, 'layers', 'sha256'), join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'layers', 'sha256'));
    expectOneLineError(runCli(['repack', join(dir, 'stripped.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'full.tar')]), 2, 'is a symbolic link');
    mkdirSync(join(dir, 'other'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'other', 'sha256'));
    expectOneLineError(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'other'), '-o', join(dir, 'stripped2.tar')]), 2, 'is a symbolic link');
    expect(listDir(dir)).toEqual(['elsewhere', 'image.tar', 'layers', 'other', 'stripped.tar']);
  });

  it('repack refuses a strip record naming a blob the image does not reference (a planted blob, exit 2)', () => {
    const dir = fresh('planted-blob');
    expect(runCli(['strip', join(dir, 'image.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'stripped.tar')]).code).toBe(0);
    const planted = Buffer.from('planted by the build machine\n');
    const digest = sha256Digest(planted);
    writeFileSync(join(dir, 'layers', 'sha256', digest.slice(7)), planted);
    const recordPath = join(dir, 'layers', 'airsign-strip.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { blobs: Array<{ mediaType: string; digest: string; size: number }> };
    record.blobs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: planted.length });
    writeFileSync(recordPath, JSON.stringify(record));
    expectOneLineError(runCli(['repack', join(dir, 'stripped.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'full.tar')]), 2, digest);
    expect(existsSync(join(dir, 'full.tar'))).toBe(false);
  });
});

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

describe('secret files are bounded and interruptible (issue 16)', () => {
  const generate = (passwordFile: string, output: string) => ['key', 'generate', '--type', 'ecdsa-p256', '--cosign', '--password-file', passwordFile, '-o', output];

  it('--password-file /dev/zero is refused at once, without reading it (exit 3)', () => {
    const dir = join(work, 'secret-zero');
    mkdirSync(dir);
    // The timeout only ends a run that hangs reading; what is checked is why it was refused: by its
    // type (a character device that is not a terminal), before any read, not by a clock.
    const r = spawnSync('bash', ['-c', `ulimit -v 4000000; exec "${process.execPath}" ${JSON.stringify(join(SAMPLES, '../bin/airsign.js'))} ${generate('/dev/zero', join(dir, 'k.key')).map((a) => JSON.stringify(a)).join(' ')}`], { encoding: 'utf8', timeout: 50_000, killSignal: 'SIGKILL' });
    expectOneLineError({ code: r.status ?? -1, stderr: r.stderr }, 3, 'the password for the new cosign key file /dev/zero');
    expect(r.stderr).toContain('not a regular file, FIFO or terminal');
    expect(listDir(dir)).toEqual([]);
  });

  it('a secret file larger than 64 KiB is refused (exit 3)', () => {
    const dir = join(work, 'secret-large');
    mkdirSync(dir);
    writeFileSync(join(dir, 'pw'), 'x'.repeat(64 * 1024 + 1));
    expectOneLineError(runCli(generate(join(dir, 'pw'), join(dir, 'k.key'))), 3, 'larger than 65536 bytes');
    expect(listDir(dir)).toEqual(['pw']);
  });

  it('a FIFO with a writer is read; a FIFO nobody writes ends on SIGTERM (143) and on SIGINT (130)', async () => {
    const dir = join(work, 'secret-fifo');
    mkdirSync(dir);
    const fifo = join(dir, 'pw.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', 'printf "%s\\n" fifo-secret > "$FIFO"'], { env: { ...process.env, FIFO: fifo }, stdio: 'ignore' });
    const ok = runCli(generate(fifo, join(dir, 'ok.key')));
    writer.kill();
    expect(ok.code, ok.stderr).toBe(0);
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const child = spawn(...cliCommand([...generate(fifo, join(dir, `${signal}.key`))]), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', (status) => done(status)));
      // Signalled once it has the FIFO open (and so its signal handlers are in place).
      const opened = Date.now() + 10_000;
      while (Date.now() < opened && !readdirSync(`/proc/${child.pid}/fd`).some((fd) => readlinkSafe(`/proc/${child.pid}/fd/${fd}`) === fifo)) {
        await new Promise((done) => setTimeout(done, 50));
      }
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const status = await exited;
      clearTimeout(killer);
      expect(status, stderr).toBe(code);
    }
    expect(listDir(dir).sort()).toEqual(['ok.key', 'ok.pub', 'pw.fifo']);
  });
});

describe('re-signing and index.json size (issue 16)', () => {
  it('re-signing with cosign when the .sig payload blob is missing puts it back, and verify accepts the layout', () => {
    const layout = freshDirectoryLayout('cosign-missing-payload');
    const cosign = (...extra: string[]) => runCli(['sign', layout, '--key', ec.keyPath, '--format', 'cosign', '--identity', 'registry.example/app:1', '--json', ...extra]);
    const first = cosign();
    expect(first.code, first.stderr).toBe(0);
    const signed = (JSON.parse(first.stdout) as { signatures: Array<{ signature: { digest: string }; signatureManifest: { digest: string } }> }).signatures[0]!;
    const blobPath = (digest: string) => join(layout, 'blobs', 'sha256', digest.slice(7));
    const config = (JSON.parse(readFileSync(blobPath(signed.signatureManifest.digest), 'utf8')) as { config: { digest: string } }).config.digest;
    rmSync(blobPath(signed.signature.digest));
    rmSync(blobPath(config));
    const again = cosign();
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(blobPath(signed.signature.digest))).toBe(true);
    expect(existsSync(blobPath(config))).toBe(true);
    const pub = join(work, 'cosign-missing-payload.pub');
    expect(runCli(['key', 'export', ec.keyPath, '-o', pub]).code).toBe(0);
    const verified = runCli(['verify', layout, '--format', 'cosign', '--key', pub, '--identity', 'registry.example/app:1']);
    expect(verified.code, verified.stderr).toBe(0);
    // A signature over another payload whose blob is gone cannot be put back: the run stops.
    const other = makeTestChain('ec-p384');
    rmSync(blobPath(signed.signature.digest));
    const before = snapshot(layout);
    expectOneLineError(runCli(['sign', layout, '--key', other.keyPath, '--format', 'cosign', '--identity', 'registry.example/app:2']), 2, /has a layer whose payload .* is not in the layout/);
    expect(snapshot(layout)).toEqual(before);
  });

  it('sign refuses before writing an index.json larger than its readers accept (exit 2)', () => {
    const layout = freshDirectoryLayout('index-limit');
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
    const size = readFileSync(join(layout, 'index.json')).length;
    index.manifests[0]!.annotations = { ...index.manifests[0]!.annotations, 'example.padding': 'x'.repeat(4 * 1024 * 1024 - size - 200) };
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    expect(readFileSync(join(layout, 'index.json')).length).toBeLessThan(4 * 1024 * 1024);
    const before = snapshot(layout);
    expectOneLineError(sign(layout), 2, /index\.json would be \d+ bytes/);
    expect(snapshot(layout)).toEqual(before);
  });
});
