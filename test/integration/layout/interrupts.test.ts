/**
 * Interrupts lose nothing and leave nothing; concurrent runs lose nothing. On a generated 160 MiB
 * sample, `strip`, `repack` and `sign` (in place and with --output) get SIGINT, SIGTERM or SIGHUP
 * at three points (once it holds its lock and reads, when the first temp file appears, half-way
 * through writing):
 * the input must be byte-identical, no new file may be left (temp files, lock files, a strip
 * directory the run created, its record), the exit code is 128 + the signal, and a rerun succeeds.
 * Then two in-place `sign` runs on one tar, started together, must both leave their signature.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, runCli } from '../../helpers/cli.js';
import { airsignTempFiles, tree } from '../../helpers/live-files.js';
import { readLayoutIndex } from '../../helpers/sign-checks.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { sha256File } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MAKE_SAMPLES = new URL('../../../scripts/make-samples.mjs', import.meta.url).pathname;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
const POINTS = ['lock taken', 'first temp file', 'half written'] as const;
type Point = (typeof POINTS)[number];

const work = tempDir('airsign-interrupts-');
let big: string;
let bigSum: string;
let stripped: string;
let strippedSum: string;
let layers: string;
let ec: TestChain;

beforeAll(() => {
  big = join(work, 'big.tar');
  const made = spawnSync(process.execPath, [MAKE_SAMPLES, '--size', '160MiB', '--output', big], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  bigSum = sha256File(big);
  layers = join(work, 'layers');
  stripped = join(work, 'stripped.tar');
  expect(runCli(['strip', big, '-d', layers, '-o', stripped]).code).toBe(0);
  strippedSum = sha256File(stripped);
  ec = makeTestChain('ec-p256');
}, 120_000);

/** The largest airsign temp file under `dir`, or -1 when there is none. */
function largestTemp(dir: string): number {
  return Math.max(-1, ...airsignTempFiles(dir).map((t) => t.size));
}

async function until(condition: () => boolean, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(...cliCommand([...args]), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

interface Case {
  name: string;
  /** Sets up a fresh directory; returns the arguments and the input file to keep unchanged. */
  prepare(dir: string): { args: string[]; input: string; inputSum: string };
  /** Checks the result of the uninterrupted rerun. */
  check(dir: string): void;
}

const signArgs = () => ['--key', ec.keyPath, '--cert', ec.chainPath, '--format', 'notation'];
const copyStrip = (dir: string) => {
  copyFileSync(stripped, join(dir, 'in.tar'));
  // The strip directory is shared read-only input for repack: link its files in.
  mkdirSync(join(dir, 'layers', 'sha256'), { recursive: true });
  for (const p of tree(layers)) if (statSync(join(layers, p)).isFile()) copyFileSync(join(layers, p), join(dir, 'layers', p));
};

const CASES: Case[] = [
  {
    name: 'strip in place',
    prepare: (dir) => (copyFileSync(big, join(dir, 'in.tar')), { args: ['strip', join(dir, 'in.tar'), '-d', join(dir, 'layers')], input: join(dir, 'in.tar'), inputSum: bigSum }),
    check: (dir) => expect(sha256File(join(dir, 'in.tar'))).toBe(strippedSum),
  },
  {
    name: 'strip --output',
    prepare: (dir) => (copyFileSync(big, join(dir, 'in.tar')), { args: ['strip', join(dir, 'in.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'out.tar')], input: join(dir, 'in.tar'), inputSum: bigSum }),
    check: (dir) => expect(sha256File(join(dir, 'out.tar'))).toBe(strippedSum),
  },
  {
    name: 'repack in place',
    prepare: (dir) => (copyStrip(dir), { args: ['repack', join(dir, 'in.tar'), '-d', join(dir, 'layers')], input: join(dir, 'in.tar'), inputSum: strippedSum }),
    check: (dir) => expect(sha256File(join(dir, 'in.tar'))).toBe(bigSum),
  },
  {
    name: 'repack --output',
    prepare: (dir) => (copyStrip(dir), { args: ['repack', join(dir, 'in.tar'), '-d', join(dir, 'layers'), '-o', join(dir, 'out.tar')], input: join(dir, 'in.tar'), inputSum: strippedSum }),
    check: (dir) => expect(sha256File(join(dir, 'out.tar'))).toBe(bigSum),
  },
  {
    name: 'sign in place',
    prepare: (dir) => (copyFileSync(big, join(dir, 'in.tar')), { args: ['sign', join(dir, 'in.tar'), ...signArgs()], input: join(dir, 'in.tar'), inputSum: bigSum }),
    check: (dir) => expect(readLayoutIndex(join(dir, 'in.tar')).manifests).toHaveLength(2),
  },
  {
    name: 'sign --output',
    prepare: (dir) => (copyFileSync(big, join(dir, 'in.tar')), { args: ['sign', join(dir, 'in.tar'), '--output', join(dir, 'out.tar'), ...signArgs()], input: join(dir, 'in.tar'), inputSum: bigSum }),
    check: (dir) => expect(readLayoutIndex(join(dir, 'out.tar')).manifests).toHaveLength(2),
  },
];

describe('interrupted commands leave the input as it was and nothing behind', () => {
  CASES.forEach((c, ci) => {
    it(`${c.name}: SIGINT, SIGTERM, SIGHUP at different points, then a rerun succeeds`, async () => {
      const dir = join(work, c.name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      let { args, input, inputSum } = c.prepare(dir);
      const outcomes: string[] = [];
      for (const [si, signal] of SIGNALS.entries()) {
        // Each command gets each point once and each signal once; across commands every signal meets every point.
        for (const point of [POINTS[(ci + si) % 3]!] as Point[]) {
          const before = tree(dir);
          const run = start(args);
          if (point === 'lock taken') await until(() => tree(dir).some((p) => p.endsWith('.airsign.lock')), run.child);
          else if (point === 'first temp file') await until(() => largestTemp(dir) >= 0, run.child);
          else await until(() => largestTemp(dir) >= statSync(input).size / 2 || (c.name.startsWith('repack') && largestTemp(dir) >= 80 * 1024 * 1024), run.child);
          run.child.kill(signal);
          const result = await run.done;
          outcomes.push(`${signal}@${point}: ${result.code ?? result.signal}`);
          if (result.code === 0) {
            // The signal came after the work was done (the output is complete): start over.
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir);
            ({ args, input, inputSum } = c.prepare(dir));
            continue;
          }
          expect(result.code, `${signal}@${point}: ${result.code} ${result.signal} ${result.stderr}`).toBe(EXIT[signal]);
          expect(result.stderr).toContain(`interrupted (${signal})`);
          expect(sha256File(input), `${signal}@${point}: input changed`).toBe(inputSum);
          expect(tree(dir), `${signal}@${point}: left behind`).toEqual(before);
        }
      }
      // Most interrupts must have hit airsign at work, not before or after it.
      expect(outcomes.filter((o) => o.endsWith(': 0')).length, outcomes.join(', ')).toBeLessThanOrEqual(1);
      const rerun = start(args);
      const result = await rerun.done;
      expect(result.code, result.stderr).toBe(0);
      c.check(dir);
      expect(tree(dir).filter((p) => p.includes('.airsign')), 'no temp or lock file after the rerun').toEqual([]);
    }, 300_000);
  });
});

describe('after SIGKILL (no chance to clean up)', () => {
  it('the rerun breaks the dead run\'s locks, removes its temp files and succeeds', async () => {
    const dir = join(work, 'sigkill');
    mkdirSync(dir);
    copyFileSync(big, join(dir, 'in.tar'));
    const run = start(['strip', join(dir, 'in.tar'), '-d', join(dir, 'layers')]);
    await until(() => largestTemp(dir) >= 32 * 1024 * 1024, run.child);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(sha256File(join(dir, 'in.tar'))).toBe(bigSum);
    expect(tree(dir).filter((p) => p.includes('.airsign')).length, 'the killed run left its lock and temp files').toBeGreaterThanOrEqual(2);
    const rerun = await start(['strip', join(dir, 'in.tar'), '-d', join(dir, 'layers')]).done;
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(sha256File(join(dir, 'in.tar'))).toBe(strippedSum);
    expect(tree(dir).filter((p) => p.includes('.airsign'))).toEqual([]);
  }, 120_000);
});

describe('concurrent in-place signing', () => {
  const runTwo = async (input: string, keys: [TestChain, TestChain]) => {
    const runs = keys.map((k) => start(['sign', input, '--key', k.keyPath, '--cert', k.chainPath, '--format', 'notation']));
    return Promise.all(runs.map((r) => r.done));
  };

  it('two simultaneous runs on one 160 MiB tar both keep their signature (2 rounds)', async () => {
    const other = makeTestChain('ec-p384');
    const input = join(work, 'concurrent-big.tar');
    for (let round = 0; round < 2; round++) {
      copyFileSync(big, input);
      const results = await runTwo(input, [ec, other]);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      expect(readLayoutIndex(input).manifests, `round ${round}`).toHaveLength(3);
    }
    expect(readdirSync(work).filter((n) => n.includes('.airsign'))).toEqual([]);
  }, 300_000);

  it('two simultaneous runs on one small tar both keep their signature (10 rounds)', async () => {
    const other = makeTestChain('ec-p384');
    const dir = join(work, 'concurrent-small');
    mkdirSync(dir);
    const input = join(dir, 'single.tar');
    for (let round = 0; round < 10; round++) {
      copyFileSync(new URL('../../../samples/single.tar', import.meta.url).pathname, input);
      const results = await runTwo(input, [ec, other]);
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      expect(readLayoutIndex(input).manifests, `round ${round}`).toHaveLength(3);
    }
    expect(readdirSync(dir)).toEqual(['single.tar']);
  }, 300_000);
});
