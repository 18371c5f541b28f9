#!/usr/bin/env node
// `npm run demo`: the airsign pipeline on a copy of samples/single.tar in a temp folder, printing
// each step. Plain Node, so it runs the same on Linux, macOS and Windows: no bash, no root, no HSM,
// no network. The bundled sample is never modified.
//   inspect → strip (layers out, metadata-only tar) → sign (Notation JWS + COSE) → repack → inspect
//   → verify (every blob, and both signatures under a Notation trust policy and trust store)
// With SoftHSM installed (softhsm2-util on PATH and its module at a usual place, or
// AIRSIGN_DEMO_SOFTHSM_MODULE), the key lives on a throw-away token; otherwise a generated file key.
// AIRSIGN_DEMO_KEEP=1 keeps the work folder; AIRSIGN_DEMO_FILE_KEY=1 uses a file key even with SoftHSM.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The throw-away token's user PIN. Not digits only: test/integration/demo.test.ts checks that the
 * demo's output never holds it, and a PIN of "1234" turned up inside a random signature's digest.
 */
const DEMO_PIN = 'demo-pin-q7';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'airsign.js');

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.log('demo: building dist/ (npm run build)');
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
}

const work = mkdtempSync(join(tmpdir(), 'airsign-demo-'));
const keep = process.env.AIRSIGN_DEMO_KEEP === '1';
let failed = false;
try {
  await demo();
} catch (error) {
  failed = true;
  console.error(`demo: FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (keep) console.log(`demo: keeping ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

async function demo() {
  const app = join(work, 'app.tar');
  copyFileSync(join(ROOT, 'samples', 'single.tar'), app);
  console.log(`demo: working on a copy of samples/single.tar in ${work} (${statSync(app).size} bytes, sha256 ${sha256(app)})`);
  const originalBlobs = await blobDigests(app);

  step('1. inspect: tags, manifests, blobs, signatures', 'airsign inspect app.tar');
  airsign('inspect', 'app.tar');

  step('2. strip: move the layer blobs out; app.tar keeps only metadata', 'airsign strip app.tar --directory layers');
  airsign('strip', 'app.tar', '--directory', 'layers');
  console.log(`app.tar is now ${statSync(app).size} bytes; layers/ holds:`);
  for (const file of listFiles(join(work, 'layers'))) console.log(`  ${relative(work, file).split('\\').join('/')}`);

  step('   inspect the stripped tar (layers shown as stripped)', 'airsign inspect app.tar');
  airsign('inspect', 'app.tar');

  // The metadata-only app.tar is what travels to the offline signing machine.
  step(
    '3. sign the stripped tar: Notation JWS + COSE, by digest, with a signing record',
    'airsign sign app.tar --key … --cert signer.pem --format notation --format notation-cose --record record.json',
  );
  const key = (await softHsmKey()) ?? fileKey();
  airsign('cert', 'create', '--key', key.spec, '--subject', 'C=US,ST=WA,O=airsign demo,CN=demo signer', '--days', '30', '-o', 'signer.pem', ...key.extra);
  await new Promise((done) => setTimeout(done, 1000)); // the certificate's notBefore is now (whole seconds)
  airsign('sign', 'app.tar', '--key', key.spec, '--cert', 'signer.pem', '--format', 'notation', '--format', 'notation-cose', '--record', 'record.json', ...key.extra);
  console.log('record.json:');
  console.log(readFileSync(join(work, 'record.json'), 'utf8').replace(/^/gm, '  ').trimEnd());

  step('   inspect the signed, stripped tar (signatures listed as referrers)', 'airsign inspect app.tar');
  airsign('inspect', 'app.tar');

  step('4. repack: put the layers back, verifying every digest and size', 'airsign repack app.tar --directory layers');
  airsign('repack', 'app.tar', '--directory', 'layers');

  step('5. inspect the repacked tar', 'airsign inspect app.tar');
  airsign('inspect', 'app.tar');

  // The gate before anything leaves the host: every blob's digest and size, and both signatures
  // under the user's own Notation trust policy and trust store (here: trust the demo certificate).
  step(
    '6. verify: every blob, and both Notation signatures under your trust policy and trust store',
    'airsign verify app.tar --identity docker.io/library/app:1.4 --trust-policy trustpolicy.json --trust-store truststore',
  );
  // samples/trustpolicy.json trusts the demo signer's subject for docker.io/library/app, through the
  // trust store "ca:airsign-demo" (laid out as samples/truststore/README.md says).
  copyFileSync(join(ROOT, 'samples', 'trustpolicy.json'), join(work, 'trustpolicy.json'));
  mkdirSync(join(work, 'truststore', 'x509', 'ca', 'airsign-demo'), { recursive: true });
  copyFileSync(join(work, 'signer.pem'), join(work, 'truststore', 'x509', 'ca', 'airsign-demo', 'signer.pem'));
  airsign('verify', 'app.tar', '--identity', 'docker.io/library/app:1.4', '--trust-policy', 'trustpolicy.json', '--trust-store', 'truststore');

  const repackedBlobs = await blobDigests(app);
  const lost = [...originalBlobs].filter((digest) => !repackedBlobs.has(digest));
  if (lost.length > 0) throw new Error(`the repacked tar lost blobs of the original: ${lost.join(', ')}`);
  console.log(`\ndemo: done. The repacked, signed tar has every original blob plus ${repackedBlobs.size - originalBlobs.size} new ones (configs, envelopes, signature manifests).`);
}

/** A P-256 key on a fresh SoftHSM token in the work folder, or undefined without SoftHSM. */
async function softHsmKey() {
  const module = process.env.AIRSIGN_DEMO_FILE_KEY === '1' ? undefined : softHsmModule();
  if (module === undefined || !commandExists('softhsm2-util')) return undefined;
  if (!commandExists('pkcs11-tool')) {
    console.log('demo: SoftHSM found, but not pkcs11-tool (OpenSC) to make a key on it: using a file key');
    return undefined;
  }
  const conf = join(work, 'softhsm2.conf');
  mkdirSync(join(work, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(work, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf; // inherited by the airsign processes below
  run('softhsm2-util', ['--init-token', '--free', '--label', 'demo', '--so-pin', '5678', '--pin', DEMO_PIN], { quiet: true });
  // OpenSC's pkcs11-tool makes the key pair (airsign only signs with keys, it does not make them on tokens).
  run('pkcs11-tool', ['--module', module, '--token-label', 'demo', '--login', '--pin', DEMO_PIN,
    '--keypairgen', '--key-type', 'EC:prime256v1', '--id', '01', '--label', 'signer', '--usage-sign'], { quiet: true });
  // The PIN reaches airsign through its environment variable (never on the command line, where ps shows it).
  process.env.AIRSIGN_PKCS11_PIN = DEMO_PIN;
  console.log('demo: SoftHSM found: signing with a P-256 key on token "demo" (PIN from AIRSIGN_PKCS11_PIN)');
  return { spec: `pkcs11:token=demo;object=signer?module-path=${module}`, extra: [] };
}

function fileKey() {
  airsign('key', 'generate', '--type', 'ecdsa-p256', '--output', 'signer.key');
  const why = process.env.AIRSIGN_DEMO_FILE_KEY === '1' ? 'AIRSIGN_DEMO_FILE_KEY=1' : 'SoftHSM not installed';
  console.log(`demo: ${why}: signing with a file key (signer.key)`);
  return { spec: 'signer.key', extra: [] };
}

function softHsmModule() {
  const candidates = [
    process.env.AIRSIGN_DEMO_SOFTHSM_MODULE,
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/opt/homebrew/lib/softhsm/libsofthsm2.so',
    'C:\\SoftHSM2\\lib\\softhsm2-x64.dll',
    'C:\\Program Files\\SoftHSM2\\lib\\softhsm2-x64.dll',
  ];
  return candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
}

/** The blob digests a layout tar holds, read through the layout reader (an internal module, not the package API). */
async function blobDigests(tar) {
  const { openLayout } = await import(new URL('../dist/layout/open-layout.js', import.meta.url).href);
  const layout = await openLayout(tar);
  try {
    return new Set(layout.blobDigests());
  } finally {
    await layout.close();
  }
}

function airsign(...args) {
  run(process.execPath, [CLI, ...args]);
}

function run(command, args, { quiet = false, cwd = work } = {}) {
  const result = spawnSync(command, args, { cwd, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.slice(command === process.execPath ? 1 : 0).join(' ')} exited ${result.status ?? result.signal}`);
}

function commandExists(name) {
  const probe = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined;
}

function step(title, command) {
  const bold = process.stdout.isTTY ? (text) => `\u001b[1m${text}\u001b[0m` : (text) => text;
  console.log(`\n${bold(`== ${title}`)}\n$ ${command}`);
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}
