#!/usr/bin/env node
// Start-up overhead of the CLI: tiny inputs, so the time is almost all Node start-up, module
// loading, argument parsing and whatever runs before the work. Runs `node -e ''`, `--version`,
// inspect, strip, repack and sign (file key, Notation JWS) round-robin, N times each, and prints
// the median wall time and the median CPU time (user+sys, from GNU time when present: less
// disturbed by other load on the machine) and the overhead over `node -e ''`.
//
//   node scripts/bench-startup.mjs [--runs N] [--compare ROOT]
//
// --compare ROOT also runs ROOT/bin/airsign.js (another checkout, built) in the same rounds, so
// before/after figures see the same machine load. Needs a built dist/ (npm run build).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const runs = Number(option('--runs') ?? 15);
const roots = [here, ...(option('--compare') === undefined ? [] : [resolve(option('--compare'))])];
for (const root of roots) {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error(`${root}: no dist/ (run npm run build there)`);
}
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const work = mkdtempSync(join(tmpdir(), 'airsign-startup-'));
const sample = join(here, 'samples', 'single.tar');
const cli = (root, ...a) => execFileSync(process.execPath, [join(root, 'bin', 'airsign.js'), ...a], { stdio: ['ignore', 'ignore', 'inherit'] });
// Fixtures, made once: a stripped tar and its layers (repack, sign), a key file and certificate.
cli(here, 'strip', sample, '--directory', join(work, 'layers'), '--output', join(work, 'stripped.tar'));
cli(here, 'key', 'generate', '--type', 'ecdsa-p256', '--output', join(work, 'key.pem'));
cli(here, 'cert', 'create', '--key', join(work, 'key.pem'), '--subject', 'C=US,ST=WA,O=airsign bench,CN=bench', '--days', '2', '-o', join(work, 'cert.pem'));
execFileSync('sleep', ['1']); // the certificate's notBefore is its creation second

const out = (name) => join(work, name);
const cases = [
  { name: "node -e ''", argv: () => ['-e', ''], node: true },
  { name: 'airsign --version', argv: () => ['--version'] },
  { name: 'inspect', argv: () => ['inspect', sample] },
  { name: 'strip', argv: () => ['strip', sample, '--directory', out('D'), '--output', out('O.tar')], clean: ['D', 'O.tar'] },
  { name: 'repack', argv: () => ['repack', out('stripped.tar'), '--directory', out('layers'), '--output', out('R.tar')], clean: ['R.tar'] },
  { name: 'sign', argv: () => ['sign', out('stripped.tar'), '--key', out('key.pem'), '--cert', out('cert.pem'), '--format', 'notation', '--output', out('S.tar')], clean: ['S.tar'] },
];

const results = new Map(); // `${case}\0${root}` -> { wall: [], cpu: [] }
const once = (c, root) => {
  for (const f of c.clean ?? []) rmSync(out(f), { recursive: true, force: true });
  const nodeArgs = c.node ? c.argv() : [join(root, 'bin', 'airsign.js'), ...c.argv()];
  const [cmd, cmdArgs] = gnuTime ? [gnuTime, ['-f', '%U %S', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} (${root}) exited ${r.status}: ${r.stderr}`);
  const cpu = gnuTime ? r.stderr.trim().split('\n').at(-1).split(' ').reduce((sum, s) => sum + Number(s) * 1000, 0) : NaN;
  return { wall, cpu };
};
for (let i = 0; i < runs + 2; i++) {
  for (const c of cases) {
    for (const root of c.node ? [here] : roots) {
      const m = once(c, root);
      if (i < 2) continue; // warm-up rounds
      const key = `${c.name}\0${root}`;
      if (!results.has(key)) results.set(key, { wall: [], cpu: [] });
      results.get(key).wall.push(m.wall);
      results.get(key).cpu.push(m.cpu);
    }
  }
}
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = results.get(`${cases[0].name}\0${here}`);
const baseWall = median(base.wall);
const baseCpu = median(base.cpu);
const f = (x) => (Number.isNaN(x) ? '-' : x.toFixed(0)).padStart(6);
console.log(`median of ${runs} runs (ms); "+" is the overhead over node -e ''`);
console.log(`${'command'.padEnd(20)} ${'root'.padEnd(28)} ${'wall'.padStart(6)} ${'+wall'.padStart(6)} ${'cpu'.padStart(6)} ${'+cpu'.padStart(6)}`);
for (const c of cases) {
  for (const root of c.node ? [here] : roots) {
    const r = results.get(`${c.name}\0${root}`);
    const w = median(r.wall);
    const u = median(r.cpu);
    const label = c.node ? '' : root.length > 28 ? `…${root.slice(-27)}` : root;
    console.log(`${c.name.padEnd(20)} ${label.padEnd(28)} ${f(w)} ${f(w - baseWall)} ${f(u)} ${f(u - baseCpu)}`);
  }
}
