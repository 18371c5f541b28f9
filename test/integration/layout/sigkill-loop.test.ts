/**
 * Fault safety under SIGKILL: `strip`, `repack` and `sign`, each in place and with --output (and
 * `sign` in place with a SoftHSM key), are killed at random points over and over
 * (interrupts.test.ts covers the catchable signals, whose handler cleans up; SIGKILL gives airsign
 * no chance to). The kill point is drawn from a seeded generator (printed; AIRSIGN_KILL_LOOP_SEED
 * replays it): a uniform fraction of one measured run, a point inside the write phase (after the
 * first temp file appears), or the rename window (the output's temp file is complete, or the strip
 * record's temp file exists). After every kill:
 * - the input is byte-identical, or (in place) already the complete result;
 * - the final --output path is absent or a complete, digest-verified result, never half a file;
 * - a strip directory holds only verified layer files, and a record only when all its layers are there;
 * - nothing else appears but temp and lock files of the killed process (which a later run removes);
 * then the rerun (now and then killed again first, so leftovers pile up) succeeds and leaves
 * nothing behind. AIRSIGN_KILL_LOOP_ITERATIONS raises the number of kills for a long local run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TAG } from '../../../src/fs/temp-files.js';
import { cliCommand } from '../../helpers/cli.js';
import { airsignTempFiles, AIRSIGN_TEMP_NAME, tree } from '../../helpers/live-files.js';
import { makeTestChain, type TestChain } from '../../helpers/sign-fixtures.js';
import { createSoftHsm, type SoftHsm } from '../../helpers/softhsm.js';
import { seedFrom, seededRandom } from '../../helpers/seeded-random.js';
import { sha256File, sha256Hex } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Kills in all, spread over the seven cases (1.5 to 2.5 s each, with the rerun, on the loaded 2-core machine). */
const ITERATIONS = Number(process.env.AIRSIGN_KILL_LOOP_ITERATIONS ?? 28);
const SEED = seedFrom(process.env.AIRSIGN_KILL_LOOP_SEED);
/** Share of reruns that are themselves killed first (leftovers of two dead runs at once). */
const KILL_AGAIN = 0.25;
const SAMPLE_SIZE = '16MiB';
const MAKE_SAMPLES = new URL('../../../scripts/make-samples.mjs', import.meta.url).pathname;

const random = seededRandom(SEED);

const work = tempDir('airsign-kill-loop-');
/** The TMPDIR of every run: a spool folder left here would be a leftover. */
let privateTmp: string;
let big: string;
let bigSum: string;
let bigBlobs: Set<string>;
let stripped: string;
let strippedSum: string;
let layers: string;
let layersSnapshot: Map<string, string>;
let chain: TestChain;
let hsm: SoftHsm;
let hsmKey: string;
let hsmCert: string;

const tally = { iterations: 0, losses: 0, kills: 0, untouched: 0, done: 0, leftovers: 0, reruns: 0, softHsmEmptied: 0, wallMs: 0 };
const losses: string[] = [];

beforeAll(() => {
  console.log(`kill loop: seed ${SEED} (replay with AIRSIGN_KILL_LOOP_SEED=${SEED}), ${ITERATIONS} iterations`);
  privateTmp = join(work, 'tmp');
  mkdirSync(privateTmp);
  big = join(work, 'big.tar');
  const made = spawnSync(process.execPath, [MAKE_SAMPLES, '--size', SAMPLE_SIZE, '--layers', '2', '--output', big], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
  bigSum = sha256File(big);
  bigBlobs = new Set(tarBlobs(big).keys());
  layers = join(work, 'layers');
  stripped = join(work, 'stripped.tar');
  const r = spawnSync(...cliCommand(['strip', big, '-d', layers, '-o', stripped]), { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  strippedSum = sha256File(stripped);
  layersSnapshot = snapshot(layers);
  chain = makeTestChain('ec-p256');
  // One signer on a SoftHSM token: a kill mid-session must not spoil the token for the rerun.
  hsm = createSoftHsm([{ label: 'kill-loop', keys: [{ type: 'EC:prime256v1', id: '01', label: 'signer' }] }], { dir: join(work, 'hsm') });
  hsmKey = `pkcs11:token=kill-loop;object=signer?module-path=${hsm.module}`;
  hsmCert = join(work, 'hsm-cert.pem');
  const cert = spawnSync(...cliCommand(['cert', 'create', '--key', hsmKey, '--subject', 'CN=kill loop', '-o', hsmCert]), { encoding: 'utf8', env: { ...hsm.env, AIRSIGN_PKCS11_PIN: hsm.pin } });
  expect(cert.status, cert.stderr).toBe(0);
  cpSync(join(work, 'hsm', 'tokens'), join(work, 'hsm-tokens-copy'), { recursive: true }); // see restoreSoftHsmTokenIfEmptied
}, 120_000);

afterAll(() => {
  console.log(
    `kill loop: ${tally.iterations} iterations, ${tally.losses} losses (seed ${SEED}; ${tally.kills} SIGKILLs, the others finished first; ` +
      `${tally.untouched} stopped before the replace, ${tally.done} after it; ` +
      `${tally.leftovers} left temp/lock files for the rerun; ${tally.reruns} reruns; ` +
      `${tally.softHsmEmptied} SoftHSM token(s) emptied by SoftHSM's own login write and restored; ${(tally.wallMs / 1000).toFixed(1)} s)`,
  );
});

/**
 * SoftHSM's file store is not crash-safe, and that is not airsign's to fix: at every C_Login it
 * truncates token.object, unlocks it, then writes it again (strace: ftruncate(0), F_UNLCK,
 * write(320)). A SIGKILL between the two leaves the file empty, and SoftHSM then lists no token at
 * all, for every later process. Such a kill is counted apart and the token store is put back from
 * the copy taken before the loop, so the rerun tests airsign's files, not SoftHSM's.
 */
function restoreSoftHsmTokenIfEmptied(): boolean {
  const tokens = join(work, 'hsm', 'tokens');
  const emptied = tree(tokens).some((p) => p.endsWith('token.object') && statSync(join(tokens, p)).size === 0);
  if (!emptied) return false;
  rmSync(tokens, { recursive: true, force: true });
  cpSync(join(work, 'hsm-tokens-copy'), tokens, { recursive: true });
  return true;
}

/** Files under `dir` with their SHA-256. */
function snapshot(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of tree(dir)) if (statSync(join(dir, p)).isFile()) m.set(p, sha256File(join(dir, p)));
  return m;
}

/**
 * The blobs of a layout tar (`sha256:<hex>` → its bytes' digest matches), read with a minimal ustar
 * reader that insists on a complete archive: every member's data and the end-of-archive marker.
 * Throws on anything truncated or any blob whose bytes do not match its name.
 */
function tarBlobs(path: string): Map<string, Buffer> {
  const tar = readFileSync(path);
  const blobs = new Map<string, Buffer>();
  let at = 0;
  for (;;) {
    if (at + 1024 > tar.length) throw new Error(`${path}: truncated at ${at} (no end-of-archive marker)`);
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) {
      if (!tar.subarray(at + 512, at + 1024).every((b) => b === 0)) throw new Error(`${path}: bad end-of-archive marker`);
      return blobs;
    }
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const data = tar.subarray(at + 512, at + 512 + size);
    if (data.length !== size) throw new Error(`${path}: member ${name} truncated`);
    const full = prefix ? `${prefix}/${name}` : name;
    const m = /^blobs\/(sha256)\/([0-9a-f]{64})$/.exec(full);
    if (m) {
      const actual = sha256Hex(data);
      if (actual !== m[2]) throw new Error(`${path}: blob ${full} has digest ${actual}`);
      blobs.set(`sha256:${m[2]}`, data);
    }
    if (full === 'index.json') blobs.set('index.json', data);
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

/** A complete signed tar: every blob verifies, all of the original's blobs are there, and index.json lists the image and at least one signature. */
function checkSigned(path: string): void {
  const blobs = tarBlobs(path);
  for (const digest of bigBlobs) if (digest !== 'index.json' && !blobs.has(digest)) throw new Error(`${path}: lost blob ${digest}`);
  const index = JSON.parse(blobs.get('index.json')!.toString('utf8')) as { manifests: Array<{ digest: string }> };
  if (index.manifests.length < 2) throw new Error(`${path}: no signature in index.json`);
  for (const m of index.manifests) if (!blobs.has(m.digest)) throw new Error(`${path}: index.json names missing ${m.digest}`);
}

/** A strip directory holds only verified layer files; a record only once all its layers are there. */
function checkStripDirectory(dir: string, complete: boolean): void {
  const sha = join(dir, 'sha256');
  for (const name of existsSync(sha) ? readdirSync(sha) : []) {
    if (name.startsWith('.')) continue; // temp files: checked as leftovers
    const want = layersSnapshot.get(join('sha256', name));
    if (want === undefined || sha256File(join(sha, name)) !== name || want !== name) throw new Error(`${dir}: unexpected or damaged layer file ${name}`);
  }
  const recordPresent = existsSync(join(dir, 'airsign-strip.json'));
  if (complete && !recordPresent) throw new Error(`${dir}: the tar is stripped but the strip record is missing`);
  if (recordPresent) {
    const got = snapshot(dir);
    for (const [p, sum] of layersSnapshot) if (got.get(p) !== sum) throw new Error(`${dir}: record present but ${p} is missing or differs`);
  }
}

type Mode = 'uniform' | 'write phase' | 'rename window';

interface KillCase {
  name: string;
  command: 'strip' | 'repack' | 'sign';
  inPlace: boolean;
  /** Signs with the SoftHSM key instead of a key file. */
  hsm?: boolean;
  /** Name of the file the result ends up in (in `dir`). */
  final: string;
  /** Its size when complete (temp files of this size are about to be renamed); measured. */
  finalSize: number;
  /** One uninterrupted run's wall time (ms), and when its first temp file appeared; measured. */
  durationMs: number;
  firstTempMs: number;
}

const CASES: KillCase[] = [
  ...(['strip', 'repack', 'sign'] as const).flatMap((command) =>
    [true, false].map((inPlace) => ({ name: `${command} ${inPlace ? 'in place' : '--output'}`, command, inPlace, final: inPlace ? 'in.tar' : 'out.tar', finalSize: 0, durationMs: 0, firstTempMs: 0 })),
  ),
  { name: 'sign in place with SoftHSM', command: 'sign', inPlace: true, hsm: true, final: 'in.tar', finalSize: 0, durationMs: 0, firstTempMs: 0 },
];

const FORMATS = ['notation', 'cosign'] as const;

function argsOf(c: KillCase, dir: string, iteration: number): string[] {
  const input = join(dir, 'in.tar');
  const out = c.inPlace ? [] : ['-o', join(dir, 'out.tar')];
  const key = c.hsm === true ? ['--key', hsmKey, '--cert', hsmCert] : ['--key', chain.keyPath, '--cert', chain.chainPath];
  const format = FORMATS[iteration % FORMATS.length]!;
  // cosign signs the operator's --identity (never a name from the layout).
  if (c.command === 'sign') return ['sign', input, ...out, ...key, '--format', format, ...(format === 'cosign' ? ['--identity', 'registry.example/app:1'] : [])];
  return [c.command, input, '-d', join(dir, 'layers'), ...out];
}

/** The pristine state of a case: its input (and, for repack, the strip directory). */
function prepare(c: KillCase, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (c.command === 'repack') {
    copyFileSync(stripped, join(dir, 'in.tar'));
    cpSync(layers, join(dir, 'layers'), { recursive: true });
  } else copyFileSync(big, join(dir, 'in.tar'));
}

const inputSumOf = (c: KillCase) => (c.command === 'repack' ? strippedSum : bigSum);

/** Whether the final file is the complete result (throws when it is neither that nor absent/original). */
function finalState(c: KillCase, dir: string): 'untouched' | 'done' {
  const path = join(dir, c.final);
  if (!existsSync(path)) {
    if (c.inPlace) throw new Error('the input is gone');
    return 'untouched';
  }
  if (c.inPlace && sha256File(path) === inputSumOf(c)) return 'untouched';
  if (c.command === 'strip' && sha256File(path) !== strippedSum) throw new Error(`${c.final} is neither the input nor the stripped tar`);
  if (c.command === 'repack' && sha256File(path) !== bigSum) throw new Error(`${c.final} is neither the input nor the repacked tar`);
  if (c.command === 'sign') checkSigned(path);
  return 'done';
}

const LOCK = /^\.(.+)\.airsign\.lock$/;
const KNOWN = /^(in\.tar|out\.tar|layers|layers\/sha256|layers\/sha256\/[0-9a-f]{64}|layers\/airsign-strip\.json)$/;

/** Paths that are leftovers of the killed runs; throws on anything else that should not be there. */
function leftovers(dir: string, killed: Set<number>): string[] {
  const found: string[] = [];
  for (const p of tree(dir)) {
    if (KNOWN.test(p)) continue;
    const name = p.split('/').pop()!;
    const temp = AIRSIGN_TEMP_NAME.exec(name);
    if (temp && temp[2] === HOST_TAG && killed.has(Number(temp[3]))) found.push(p);
    else if (LOCK.test(name)) {
      const text = readFileSync(join(dir, p), 'utf8');
      // An empty lock file: killed between creating and writing it.
      if (text !== '' && !killed.has((JSON.parse(text) as { pid: number }).pid)) throw new Error(`lock ${p} of a process that was not killed: ${text}`);
      found.push(p);
    } else throw new Error(`unexpected file ${p}`);
  }
  return found;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  pid: number;
  ms: number;
}

/** Runs airsign; with `killAt` (a function that resolves when to kill) SIGKILLs it then. */
function run(c: KillCase, args: string[], killAt?: (alive: () => boolean) => Promise<void>): Promise<Outcome> {
  const started = Date.now();
  const env = { ...(c.hsm === true ? { ...hsm.env, AIRSIGN_PKCS11_PIN: hsm.pin } : process.env), TMPDIR: privateTmp };
  const child = spawn(...cliCommand([...args]), { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let exited = false;
  // A failure while waiting for the kill point fails this run (not an unhandled rejection).
  let killPointFailure: Error | undefined;
  const done = new Promise<Outcome>((resolve, reject) =>
    child.on('close', (code, signal) => {
      exited = true;
      if (killPointFailure !== undefined) reject(killPointFailure);
      else resolve({ code, signal, stderr, pid: child.pid!, ms: Date.now() - started });
    }),
  );
  if (killAt) {
    killAt(() => !exited).then(
      () => child.kill('SIGKILL'),
      (error: unknown) => {
        killPointFailure = error instanceof Error ? error : new Error(String(error));
        child.kill('SIGKILL');
      },
    );
  }
  return done;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(condition: () => boolean, alive: () => boolean): Promise<void> {
  while (alive() && !condition()) await sleep(1);
}

/** Draws a kill point: a mode and a function that waits for it. */
function killPoint(c: KillCase, dir: string): { mode: Mode; describe: string; wait: (alive: () => boolean) => Promise<void> } {
  const r = random();
  const mode: Mode = r < 0.5 ? 'uniform' : r < 0.8 ? 'write phase' : 'rename window';
  if (mode === 'uniform') {
    const ms = Math.round(random() * c.durationMs);
    return { mode, describe: `${mode} ${ms} ms of ${c.durationMs}`, wait: () => sleep(ms) };
  }
  if (mode === 'write phase') {
    const ms = Math.round(random() * Math.max(1, c.durationMs - c.firstTempMs));
    return { mode, describe: `${mode}: ${ms} ms after the first temp file`, wait: async (alive) => (await until(() => airsignTempFiles(dir).length > 0, alive), await sleep(ms)) };
  }
  // The rename window: the temp file of the final output is complete (only the flush and the
  // rename are left), or, for strip, the record's temp file exists (layers done, tar next).
  const lateMs = Math.round(random() * 3);
  const recordToo = c.command === 'strip' && random() < 0.5;
  const finalTemp = new RegExp(`^\\.${c.final.replace('.', '\\.')}\\.airsign-`);
  const ready = () =>
    airsignTempFiles(dir).some((t) => (finalTemp.test(t.path) && t.size >= c.finalSize) || (recordToo && t.path.startsWith('layers/.airsign-strip.json.airsign-')));
  return { mode, describe: `${mode}${recordToo ? ' (or the record)' : ''} +${lateMs} ms`, wait: async (alive) => (await until(ready, alive), await sleep(lateMs)) };
}

describe('SIGKILL at random points loses nothing', () => {
  it('measures one uninterrupted run of each case', async () => {
    for (const c of CASES) {
      const dir = join(work, `measure-${c.name.replace(/\W+/g, '-')}`);
      prepare(c, dir);
      let firstTemp = -1;
      const started = Date.now();
      const result = await run(c, argsOf(c, dir, 0), async (alive) => {
        await until(() => airsignTempFiles(dir).length > 0, alive);
        firstTemp = Date.now() - started;
        await until(() => false, alive);
      });
      expect(result.code, result.stderr).toBe(0);
      c.durationMs = result.ms;
      c.firstTempMs = Math.max(0, firstTemp);
      c.finalSize = statSync(join(dir, c.final)).size;
      expect(finalState(c, dir)).toBe('done');
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`kill loop: one run takes ${CASES.map((c) => `${c.name} ${c.durationMs} ms (first temp at ${c.firstTempMs})`).join(', ')}`);
  }, 120_000);

  it(`kills strip, repack and sign (in place and --output) ${ITERATIONS} times; every rerun succeeds`, async () => {
    const started = Date.now();
    for (const c of CASES) prepare(c, join(work, c.name.replace(/\W+/g, '-')));
    const killed = new Map<KillCase, Set<number>>(CASES.map((c) => [c, new Set<number>()]));
    for (let i = 0; i < ITERATIONS; i++) {
      const c = CASES[i % CASES.length]!;
      const dir = join(work, c.name.replace(/\W+/g, '-'));
      const args = argsOf(c, dir, i);
      const point = killPoint(c, dir);
      const where = `iteration ${i} (${c.name}, ${point.describe}, seed ${SEED})`;
      const result = await run(c, args, point.wait);
      tally.iterations++;
      try {
        if (result.signal === 'SIGKILL') {
          killed.get(c)!.add(result.pid);
          tally.kills++;
        }
        else if (result.code !== 0) throw new Error(`the run to be killed failed by itself: ${result.code} ${result.stderr}`);
        if (c.hsm === true && restoreSoftHsmTokenIfEmptied()) tally.softHsmEmptied++;
        // The input: unchanged (or, in place, possibly already the complete result).
        if (!c.inPlace) {
          if (sha256File(join(dir, 'in.tar')) !== inputSumOf(c)) throw new Error('the input changed');
        }
        if (c.command === 'repack') {
          const now = snapshot(join(dir, 'layers'));
          for (const [p, sum] of layersSnapshot) if (now.get(p) !== sum) throw new Error(`the strip directory's ${p} changed`);
        }
        const state = finalState(c, dir);
        tally[state]++;
        if (c.command === 'strip') checkStripDirectory(join(dir, 'layers'), state === 'done');
        const left = leftovers(dir, killed.get(c)!);
        if (left.length > 0) tally.leftovers++;
        if (readdirSync(privateTmp).length > 0) throw new Error(`left in TMPDIR: ${readdirSync(privateTmp).join(', ')}`);
        // Now and then the next kill lands on this run's leftovers before any clean rerun.
        if (state === 'untouched' && result.signal === 'SIGKILL' && random() < KILL_AGAIN && i + CASES.length < ITERATIONS) continue;
        // The rerun: succeeds (in-place strip of a tar already stripped is refused as such) and leaves nothing.
        tally.reruns++;
        const again = await run(c, args);
        const refusedAsDone = c.command === 'strip' && c.inPlace && state === 'done' && again.code === 2 && again.stderr.includes('already stripped');
        if (again.code !== 0 && !refusedAsDone) throw new Error(`the rerun failed: ${again.code} ${again.stderr}`);
        if (finalState(c, dir) !== 'done') throw new Error('the rerun did not produce the result');
        if (c.command === 'strip') checkStripDirectory(join(dir, 'layers'), true);
        const after = tree(dir).filter((p) => p.includes('.airsign'));
        if (after.length > 0) throw new Error(`left after the rerun: ${after.join(', ')}`);
        if (readdirSync(privateTmp).length > 0) throw new Error(`left in TMPDIR after the rerun: ${readdirSync(privateTmp).join(', ')}`);
        if (!c.inPlace && sha256File(join(dir, 'in.tar')) !== inputSumOf(c)) throw new Error('the rerun changed the input');
      } catch (error) {
        tally.losses++;
        losses.push(`${where}: ${(error as Error).message} [killed run: ${result.signal ?? result.code} after ${result.ms} ms]`);
      }
      prepare(c, dir);
      killed.get(c)!.clear();
    }
    tally.wallMs = Date.now() - started;
    expect(losses).toEqual([]);
  }, Math.max(600_000, ITERATIONS * 10_000));
});
