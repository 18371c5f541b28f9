/**
 * Concurrent runs lose nothing: round after round, four in-place `sign` runs (notation,
 * notation-cose, cosign, cosign-bundle, with three keys and a per-run annotation, so each adds a
 * distinct signature), one `strip` and one `repack` are started together, with a small random
 * stagger, on ONE tar and ONE strip directory, reaching them by different names (absolute,
 * relative from another folder, through a symbolic link) as scripts on one machine would. The tar
 * and the directory carry over from round to round, so each round starts from whatever the last
 * one left (full or stripped). After every round: every signature any run reported is in the tar
 * (and none that no run reported), the tar is complete with every blob verified, the strip record
 * and the layers are where the tar's state says, repacking the directory gives back every layer,
 * and no temp or lock file is left. A run may only fail cleanly: strip of a stripped tar, repack
 * before the first strip, or a lock/change refusal. (interrupts.test.ts has the two-signer case on
 * a 160 MiB tar.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand } from '../../helpers/cli.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { seedFrom, seededRandom } from '../../helpers/seeded-random.js';
import { sha256File, sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Rounds of 6 simultaneous runs (5 to 8 s a round on the loaded 2-core machine). */
const ROUNDS = Number(process.env.AIRSIGN_CONCURRENT_ROUNDS ?? 6);
const SEED = seedFrom(process.env.AIRSIGN_CONCURRENT_SEED);
/** Largest random delay between the starts of one round's runs. */
const STAGGER_MS = 60;
const MAKE_SAMPLES = new URL('../../../scripts/make-samples.mjs', import.meta.url).pathname;

const random = seededRandom(SEED);

const work = tempDir('airsign-concurrent-');
let original: string;
/** The image's layer digests. */
let layerDigests: string[];
let imageDigest: string;
const keys: TestChain[] = [];
const tally = { rounds: 0, runs: 0, losses: 0, refused: 0, refusedSigns: 0 };
const losses: string[] = [];

beforeAll(() => {
  console.log(`concurrent loop: seed ${SEED} (replay with AIRSIGN_CONCURRENT_SEED=${SEED}), ${ROUNDS} rounds`);
  original = join(work, 'original.tar');
  const made = spawnSync(process.execPath, [MAKE_SAMPLES, '--size', '4MiB', '--layers', '2', '--output', original], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  const report = inspect(original);
  imageDigest = report.images[0]!.digest;
  layerDigests = report.images[0]!.children.filter((c) => c.role === 'layer').map((c) => c.digest);
  expect(layerDigests).toHaveLength(2);
  keys.push(makeTestChain('ec-p256'), makeTestChain('ec-p384'), makeTestChain('ec-p256'));
}, 120_000);

afterAll(() => {
  console.log(`concurrent loop: ${tally.rounds} rounds, ${tally.runs} runs, ${tally.losses} losses (seed ${SEED}; ${tally.refused} runs refused cleanly)`);
});

interface InspectReport {
  images: Array<{ digest: string; stripped: boolean; children: Array<{ digest: string; role: string }> }>;
  referrers: Array<{ digest: string }>;
  cosignSignatures: Array<{ layer: string }>;
}

function inspect(tar: string): InspectReport {
  const r = spawnSync(...cliCommand(['inspect', tar, '--json']), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`inspect ${tar}: ${r.stderr}`);
  return JSON.parse(r.stdout) as InspectReport;
}

/** The blob digests of a complete layout tar, each verified against its bytes (throws on a truncated tar or a wrong blob). */
function verifiedBlobs(path: string): Set<string> {
  const tar = readFileSync(path);
  const blobs = new Set<string>();
  for (let at = 0; ; ) {
    if (at + 1024 > tar.length) throw new Error(`${path}: truncated`);
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return blobs;
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const data = tar.subarray(at + 512, at + 512 + size);
    if (data.length !== size) throw new Error(`${path}: ${name} truncated`);
    const m = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    if (m) {
      if (sha256Hex(data) !== m[1]) throw new Error(`${path}: ${name} does not match its digest`);
      blobs.add(`sha256:${m[1]}`);
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

interface Run {
  label: string;
  args: string[];
  cwd: string;
}

interface Done extends Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(run: Run, delayMs: number): Promise<Done> {
  return new Promise((resolve) =>
    setTimeout(() => {
      const child = spawn(...cliCommand([...run.args]), { cwd: run.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ ...run, code, stdout, stderr }));
    }, delayMs),
  );
}

/** What a successful sign reported: its signature, found in the tar by its manifest (notation, bundle) or its layer (cosign). */
interface Reported {
  label: string;
  format: string;
  manifest: string;
  signature: string;
}

function reportedSignatures(done: Done): Reported[] {
  const record = JSON.parse(done.stdout) as { signatures: Array<{ format: string; signatureManifest: { digest: string }; signature: { digest: string } }> };
  return record.signatures.map((s) => ({ label: done.label, format: s.format, manifest: s.signatureManifest.digest, signature: s.signature.digest }));
}

/** A clean refusal: one error line and a code that says the run did nothing. */
function refusedCleanly(done: Done, codes: string[]): boolean {
  if (done.code !== 2 && done.code !== 3) return false;
  const error = (JSON.parse(done.stdout || '{}') as { error?: { code?: string } }).error;
  // Besides the one error line, only the notice that it waited for another run's lock.
  const lines = done.stderr.trimEnd().split('\n');
  const oneError = lines.filter((l) => l.startsWith('airsign: error: ')).length === 1 && lines.every((l) => l.startsWith('airsign: error: ') || / waiting for process \d+ /.test(l));
  return error?.code !== undefined && codes.includes(error.code) && oneError;
}

describe('simultaneous sign, strip and repack on one tar and one strip directory', () => {
  it(`lose no signature, layer or record (${ROUNDS} rounds)`, async () => {
    const dir = join(work, 'common');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(dir);
    mkdirSync(elsewhere);
    const tar = join(dir, 'image.tar');
    const layers = join(dir, 'layers');
    copyFileSync(original, tar);
    mkdirSync(layers);
    symlinkSync('image.tar', join(dir, 'link.tar'));
    symlinkSync('layers', join(dir, 'layers-link'));
    // One tar and one directory, reached by several names.
    const tarNames = [{ path: tar, cwd: work }, { path: '../common/image.tar', cwd: elsewhere }, { path: join(dir, 'link.tar'), cwd: work }];
    const layerNames = [{ path: layers }, { path: join(dir, 'layers-link') }, { path: '../common/layers' }];
    const formats = ['notation', 'notation-cose', 'cosign', 'cosign-bundle'] as const;
    const expected: Reported[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      const runs: Run[] = formats.map((format, k) => {
        const t = pick(tarNames);
        const key = keys[k % keys.length]!;
        return { label: `sign ${format}`, cwd: t.cwd, args: ['sign', t.path, '--key', key.keyPath, '--cert', key.chainPath, '--format', format, ...(format === 'cosign' ? ['--identity', 'registry.example/app:1'] : []), '--annotation', `run=${round}-${format}`, '--json'] };
      });
      for (const command of ['strip', 'repack'] as const) {
        const t = pick(tarNames);
        const d = pick(layerNames);
        // Relative names are relative to the run's folder: the tar's.
        const dirArg = d.path.startsWith('../') && t.cwd !== elsewhere ? join(elsewhere, d.path) : d.path;
        runs.push({ label: command, cwd: t.cwd, args: [command, t.path, '-d', dirArg, '--json'] });
      }
      const order = runs.map((r) => ({ r, delay: Math.floor(random() * STAGGER_MS) }));
      const results = await Promise.all(order.map(({ r, delay }) => start(r, delay)));
      tally.runs += results.length;
      tally.rounds++;
      const where = `round ${round} (seed ${SEED}; starts ${order.map((o) => `${o.r.label}+${o.delay}ms`).join(', ')})`;
      try {
        for (const done of results) {
          if (done.code === 0) {
            if (done.label.startsWith('sign')) expected.push(...reportedSignatures(done));
            continue;
          }
          const clean =
            (done.label === 'strip' && refusedCleanly(done, ['LAYOUT_STRIPPED', 'LAYOUT_LOCKED', 'LAYOUT_CHANGED'])) ||
            (done.label === 'repack' && refusedCleanly(done, ['STRIP_DIR_NO_RECORD', 'LAYOUT_LOCKED', 'LAYOUT_CHANGED'])) ||
            (done.label.startsWith('sign') && refusedCleanly(done, ['LAYOUT_LOCKED', 'LAYOUT_CHANGED']));
          if (!clean) throw new Error(`${done.label} failed: ${done.code} ${done.stderr.trim()}`);
          tally.refused++;
          if (done.label.startsWith('sign')) tally.refusedSigns++;
        }
        // Every blob of the tar verifies, and every reported signature is there; nothing else is.
        const blobs = verifiedBlobs(tar);
        const report = inspect(tar);
        const referrers = new Set(report.referrers.map((r) => r.digest));
        // (The annotation makes every cosign payload, hence every layer digest, distinct.)
        const cosignLayers = new Set(report.cosignSignatures.map((s) => s.layer));
        if (cosignLayers.size !== report.cosignSignatures.length) throw new Error('one cosign signature layer is listed twice');
        for (const s of expected) {
          const found = s.format === 'cosign' ? cosignLayers.has(s.signature) : referrers.has(s.manifest);
          if (!found || !blobs.has(s.signature)) throw new Error(`lost the ${s.format} signature ${s.signature} (${s.label})`);
        }
        if (referrers.size + cosignLayers.size !== expected.length) throw new Error(`${referrers.size + cosignLayers.size} signatures in the tar, ${expected.length} reported`);
        // The layers: in the tar, or (stripped) all in the directory, under a record of this image.
        const stripped = report.images.find((i) => i.digest === imageDigest)!.stripped;
        if (stripped) {
          const record = JSON.parse(readFileSync(join(layers, 'airsign-strip.json'), 'utf8')) as { image: { digest: string } };
          if (record.image.digest !== imageDigest) throw new Error('the strip record names another image');
          for (const d of layerDigests) {
            if (blobs.has(d)) throw new Error(`stripped, yet ${d} is in the tar`);
            const file = join(layers, 'sha256', d.slice(7));
            if (!existsSync(file) || sha256File(file) !== d.slice(7)) throw new Error(`lost layer ${d}`);
          }
          // And repack gives the whole image back, signatures included.
          const check = join(work, 'check.tar');
          rmSync(check, { force: true });
          const r = spawnSync(...cliCommand(['repack', tar, '-d', layers, '-o', check]), { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`repack of the directory failed: ${r.stderr}`);
          const full = verifiedBlobs(check);
          for (const d of [...layerDigests, ...blobs]) if (!full.has(d)) throw new Error(`repacked tar lacks ${d}`);
          rmSync(check);
        } else {
          for (const d of layerDigests) if (!blobs.has(d)) throw new Error(`lost layer ${d} (the tar is not stripped)`);
        }
        const left = [...readdirSync(dir), ...(existsSync(layers) ? readdirSync(layers) : []), ...readdirSync(elsewhere)].filter((n) => n.includes('.airsign'));
        if (left.length > 0) throw new Error(`left behind: ${left.join(', ')}`);
      } catch (error) {
        tally.losses++;
        losses.push(`${where}: ${(error as Error).message}`);
        break;
      }
    }
    expect(losses).toEqual([]);
    expect(expected.length, 'every sign run either signed or was refused').toBe(tally.rounds * formats.length - tally.refusedSigns);
  }, Math.max(600_000, ROUNDS * 40_000));
});
