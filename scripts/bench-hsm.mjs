#!/usr/bin/env node
// HSM signing benchmark (run after `npm run build`). Creates a private SoftHSM2 token with a P-256
// key, then measures in ONE process:
//   - P-256 signatures/s through airsign's PKCS#11 backend (KeyBackend.sign: SHA-256 + CKM_ECDSA)
//   - the same work in a bare loop over airsign's koffi binding (createHash + C_SignInit + C_Sign)
//   - and, given --pkcs11js <dir of a built pkcs11js package> (airsign's old addon), the same bare loop
//     through pkcs11js; all interleaved rounds
// and the wall time of a whole process that loads the module, logs in and makes one signature
// through the library, next to `node -e ''`.
// Usage: node scripts/bench-hsm.mjs [--rounds 7] [--per-round 2000] [--runs 7] [--pkcs11js DIR] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = opt('rounds', 7);
const PER_ROUND = opt('per-round', 2000);
const RUNS = opt('runs', 7);
const JSON_OUT = args.includes('--json');
const PKCS11JS_DIR = args.includes('--pkcs11js') ? args[args.indexOf('--pkcs11js') + 1] : undefined;

const MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p));
if (!MODULE) throw new Error('SoftHSM2 not found (apt-get install softhsm2)');
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'airsign-bench-hsm-'));
mkdirSync(join(dir, 'tokens'));
const conf = join(dir, 'softhsm2.conf');
writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
process.env.SOFTHSM2_CONF = conf;
const PIN = '1234';
execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', '5678', '--pin', PIN], { stdio: 'pipe' });
execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'bench', '--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:prime256v1', '--id', '01', '--label', 'p256', '--usage-sign'], { stdio: 'pipe' });

const message = Buffer.from('{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:0000"},"type":"cosign container image signature"}}');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- bare koffi (airsign's binding, no backend) ----
const { Pkcs11Library } = await import(join(root, 'dist/keys/pkcs11/pkcs11-ffi.js'));
const { CK } = await import(join(root, 'dist/keys/pkcs11/pkcs11-constants.js'));
const lib = new Pkcs11Library(MODULE);
lib.C_Initialize();
const kSlot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === 'bench');
const kSession = lib.C_OpenSession(kSlot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
lib.C_Login(kSession, CK.CKU_USER, PIN);
lib.C_FindObjectsInit(kSession, [{ type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY }, { type: CK.CKA_LABEL, value: 'p256' }]);
const [kKey] = lib.C_FindObjects(kSession, 1);
lib.C_FindObjectsFinal(kSession);
const bareKoffiSign = () => {
  const digest = createHash('sha256').update(message).digest();
  lib.C_SignInit(kSession, { mechanism: CK.CKM_ECDSA }, kKey);
  return lib.C_Sign(kSession, digest, Buffer.alloc(64));
};

// ---- bare pkcs11js (only with --pkcs11js: airsign no longer depends on it) ----
let bareSign;
let closePkcs11js = () => {};
if (PKCS11JS_DIR !== undefined) {
  const pkcs11js = createRequire(import.meta.url)(PKCS11JS_DIR);
  const p11 = new pkcs11js.PKCS11();
  p11.load(MODULE);
  try {
    p11.C_Initialize();
  } catch (error) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String(error))) throw error; // same module, one process
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === 'bench');
  const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    p11.C_Login(session, pkcs11js.CKU_USER, PIN);
  } catch (error) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String(error))) throw error; // the koffi loop's login holds
  }
  p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'p256' }]);
  const bareKey = p11.C_FindObjects(session);
  p11.C_FindObjectsFinal(session);
  bareSign = () => {
    const digest = createHash('sha256').update(message).digest();
    p11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, bareKey);
    return p11.C_Sign(session, digest, Buffer.alloc(64));
  };
  closePkcs11js = () => p11.C_CloseSession(session);
}

// ---- airsign library ----
const { openKey } = await import(join(root, 'dist/keys/open-key.js'));
const backend = await openKey(`pkcs11:token=bench;object=p256?module-path=${MODULE}&pin-value=${PIN}`);
const scheme = { algorithm: 'ecdsa', hash: 'sha256', encoding: 'raw' };
const schemeDer = { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' };

async function rate(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}
// warm up
if (bareSign) await rate(bareSign, 200);
await rate(bareKoffiSign, 200);
await rate(() => backend.sign(message, scheme), 200);
const bareRates = [];
const bareKoffiRates = [];
const libRates = [];
const libDerRates = [];
for (let r = 0; r < ROUNDS; r++) {
  if (bareSign) bareRates.push(await rate(bareSign, PER_ROUND));
  bareKoffiRates.push(await rate(bareKoffiSign, PER_ROUND));
  libRates.push(await rate(() => backend.sign(message, scheme), PER_ROUND));
  libDerRates.push(await rate(() => backend.sign(message, schemeDer), PER_ROUND));
}

// ---- whole-process wall time ----
const oneSignature = `
const { openKey } = await import(${JSON.stringify(join(root, 'dist/keys/open-key.js'))});
const k = await openKey(process.env.KEY_URI);
const sig = await k.sign(new TextEncoder().encode('hello'), { algorithm: 'ecdsa', hash: 'sha256', encoding: 'der' });
if (sig.length < 8) process.exit(1);
`;
const env = { ...process.env, SOFTHSM2_CONF: conf, KEY_URI: `pkcs11:token=bench;object=p256?module-path=${MODULE}&pin-value=${PIN}` };
function wall(argv) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  }
  return median(times);
}
const emptyMs = wall(['-e', '']);
const signMs = wall(['--input-type=module', '-e', oneSignature]);
const cliExportMs = wall([join(root, 'bin/airsign.js'), 'key', 'export', env.KEY_URI]);

closePkcs11js();
lib.C_Logout(kSession);
lib.C_CloseSession(kSession);
rmSync(dir, { recursive: true, force: true });

const result = {
  module: MODULE,
  rounds: ROUNDS,
  perRound: PER_ROUND,
  p256SignaturesPerSecond: {
    airsignRaw: Math.round(median(libRates)),
    airsignDer: Math.round(median(libDerRates)),
    bareKoffi: Math.round(median(bareKoffiRates)),
    barePkcs11js: bareSign ? Math.round(median(bareRates)) : null,
  },
  ratioAirsignToBareKoffi: Number((median(libRates) / median(bareKoffiRates)).toFixed(3)),
  ratioAirsignToBarePkcs11js: bareSign ? Number((median(libRates) / median(bareRates)).toFixed(3)) : null,
  wallMs: { nodeEmpty: Math.round(emptyMs), loadLoginOneSignature: Math.round(signMs), cliKeyExport: Math.round(cliExportMs), runs: RUNS },
  load: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))),
};
if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
else {
  const r = result.p256SignaturesPerSecond;
  console.log(`P-256 signatures/s (median of ${ROUNDS} rounds x ${PER_ROUND}): airsign ${r.airsignRaw} (DER ${r.airsignDer}), bare koffi ${r.bareKoffi} (ratio ${result.ratioAirsignToBareKoffi})` +
    (r.barePkcs11js === null ? '' : `, bare pkcs11js ${r.barePkcs11js} (ratio airsign/pkcs11js ${result.ratioAirsignToBarePkcs11js})`));
  console.log(`process wall time (median of ${RUNS}): node -e '' ${result.wallMs.nodeEmpty} ms; load module + login + 1 signature ${result.wallMs.loadLoginOneSignature} ms; airsign key export ${result.wallMs.cliKeyExport} ms`);
  console.log(`load average: ${result.load.join(' ')}`);
}
