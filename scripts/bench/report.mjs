#!/usr/bin/env node
// Bench helper: turns the runs recorded by scripts/bench.sh (TSV: size, step, run, seconds, rssKiB,
// cpuSeconds) into the summary table (median wall time per step, ratios to openssl/cp/skopeo at the
// same size, issue 19's target, median CPU, peak RSS, the load average at the start and end of each
// size) and a JSON file next to it. Columns no step has a value for are left out.
// Usage: node scripts/bench/report.mjs RUNS.tsv OUT.json [LOADS.tsv]
import { readFileSync, writeFileSync } from 'node:fs';

const [tsvPath, jsonPath, loadsPath] = process.argv.slice(2);
/** Issue 19: wall time of each command over one `openssl dgst -sha256` pass, same run. */
const TARGETS = { 'airsign-strip': 1.1, 'airsign-repack': 1.2, 'airsign-sign': 1.3, 'airsign-verify': 1.15 };
const loads = new Map(); // size -> { start, end }
if (loadsPath) {
  for (const line of readFileSync(loadsPath, 'utf8').split('\n').filter((l) => l.trim() !== '')) {
    const [size, when, value] = line.split('\t');
    loads.set(size, { ...loads.get(size), [when]: value });
  }
}
const rows = readFileSync(tsvPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const [size, bytes, step, run, seconds, rssKiB, cpuSeconds] = l.split('\t');
    return { size, bytes: Number(bytes), step, run: Number(run), seconds: Number(seconds), rssKiB: Number(rssKiB), cpuSeconds: Number(cpuSeconds ?? NaN) };
  });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const sizes = [...new Set(rows.map((r) => r.size))];
const steps = [...new Set(rows.map((r) => r.step))];
const results = [];
for (const size of sizes) {
  for (const step of steps) {
    const runs = rows.filter((r) => r.size === size && r.step === step);
    if (runs.length === 0) continue;
    results.push({
      size,
      bytes: runs[0].bytes,
      step,
      runs: runs.map((r) => r.seconds),
      medianSeconds: median(runs.map((r) => r.seconds)),
      medianCpuSeconds: median(runs.map((r) => r.cpuSeconds)),
      peakRssMiB: Math.max(...runs.map((r) => r.rssKiB)) / 1024,
    });
  }
}
const find = (size, step) => results.find((r) => r.size === size && r.step === step);
for (const r of results) {
  const ratio = (base) => {
    const b = find(r.size, base);
    return b && b.medianSeconds > 0 ? r.medianSeconds / b.medianSeconds : null;
  };
  r.vsOpenssl = ratio('openssl-sha256');
  r.vsCp = ratio('cp');
  r.vsDurableCp = ratio('cp+fsync');
  r.vsSkopeo = ratio('skopeo-copy');
  const cpuRatio = (base) => {
    const b = find(r.size, base);
    return b && b.medianCpuSeconds > 0 ? r.medianCpuSeconds / b.medianCpuSeconds : null;
  };
  r.cpuVsOpenssl = cpuRatio('openssl-sha256');
  r.cpuVsSkopeo = cpuRatio('skopeo-copy');
  r.mbPerSecond = r.medianSeconds > 0 ? r.bytes / 1e6 / r.medianSeconds : null;
  r.target = TARGETS[r.step] ?? null;
  r.loadAverage = loads.get(r.size) ?? null;
}

const fmt = (x, digits = 2) => (x === null || x === undefined ? '-' : x.toFixed(digits));
const allHeader = ['size', 'step', 'median s', 'runs (s)', 'MB/s', 'x openssl', 'target', 'x cp', 'x cp+fsync', 'x skopeo', 'CPU s', 'CPU x openssl', 'CPU x skopeo', 'peak RSS MiB'];
const allLines = results.map((r) => [
  r.size,
  r.step,
  fmt(r.medianSeconds),
  r.runs.map((s) => s.toFixed(2)).join(' / '),
  fmt(r.mbPerSecond, 0),
  fmt(r.vsOpenssl),
  r.target === null ? '-' : `<= ${r.target}`,
  fmt(r.vsCp),
  fmt(r.vsDurableCp),
  fmt(r.vsSkopeo),
  fmt(r.medianCpuSeconds),
  fmt(r.cpuVsOpenssl),
  fmt(r.cpuVsSkopeo),
  fmt(r.peakRssMiB, 1),
]);
const shown = allHeader.map((_, i) => allLines.some((l) => l[i] !== '-'));
const header = allHeader.filter((_, i) => shown[i]);
const lines = allLines.map((l) => l.filter((_, i) => shown[i]));
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(row(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const l of lines) console.log(row(l));

for (const [size, load] of loads) console.log(`load average at ${size}: ${load.start ?? '?'} at start, ${load.end ?? '?'} at end`);

// Flat memory: peak RSS of each airsign step at the largest size vs the smallest.
const airsignSteps = steps.filter((s) => s.startsWith('airsign'));
if (sizes.length >= 2) {
  const small = sizes[0];
  const large = sizes[sizes.length - 1];
  console.log('');
  for (const step of airsignSteps) {
    const a = find(small, step);
    const b = find(large, step);
    if (a && b) {
      const change = ((b.peakRssMiB - a.peakRssMiB) / a.peakRssMiB) * 100;
      console.log(`${step}: peak RSS ${fmt(a.peakRssMiB, 1)} MiB at ${small}, ${fmt(b.peakRssMiB, 1)} MiB at ${large} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`);
    }
  }
}
writeFileSync(jsonPath, `${JSON.stringify({ results }, null, 2)}\n`);
