// Makes the V8 code cache of the single-file release (see src/release/sea-main.ts): compiles the
// CLI bundle exactly as the executable will (same text, same file name), runs the common commands
// with it in this process (a small sample: inspect, strip, repack, key and certificate, sign with
// a file key in Notation and cosign, verify, version), then writes V8's cache of the script, which
// now holds every function those commands called. Run by scripts/release.mjs with the target's own
// node (qemu for arm64, wine for Windows) in the build directory:
//   node release-train-cache.mjs airsign.js sample.tar airsign.cache
// Exits non-zero (and the release fails) when a command fails.
//
// The cache must come out the same on every build (issue 18: two builds, identical bytes); two
// things made it differ in about one build of three:
// - Random key material. asn1js tries to decode the contents of every BIT STRING as nested BER, so
//   the public key of a freshly generated key sent it through different classes (a NumericString
//   in one run of ten): the cache then held one more function. The commands after `key generate`
//   use a fixed training key instead (trainingKeyPem below; `key generate` still runs, to a file
//   nothing reads).
// - Sparkplug, V8's baseline compiler, compiles in batches on a budget that depends on timing, and
//   left a few bytes different between runs. It is off while the commands run and back on before
//   the cache is written: V8 stamps the cache with a hash of its flags, and a cache made under
//   other flags is rejected, so the stamp is checked to be the one this node started with.
import { createECDH, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Script } from 'node:vm';

const require = createRequire(import.meta.url);
const filename = fileURLToPath(import.meta.url);
const startingFlags = v8.cachedDataVersionTag();
v8.setFlagsFromString('--no-sparkplug');

const [bundleFile, sample, cacheFile] = process.argv.slice(2);
// Read as the executable reads it (src/release/sea-main.ts): the same text gives an accepted cache.
const script = new Script(readFileSync(bundleFile, 'latin1'), { filename: 'airsign.js' });
const run = script.runInThisContext();

const work = 'train';
mkdirSync(join(work, 'store', 'x509', 'ca', 'train'), { recursive: true });
const at = (name) => join(work, name);
const policy = { version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:train'], trustedIdentities: ['*'] }] };
writeFileSync(at('trustpolicy.json'), JSON.stringify(policy));

/** A P-256 key whose private scalar is 32 bytes of 7: known to everyone, used only here. */
function trainingKeyPem() {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.alloc(32, 7));
  const point = ecdh.getPublicKey(); // 04 || x || y
  const jwk = { kty: 'EC', crv: 'P-256', d: ecdh.getPrivateKey().toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' });
}
writeFileSync(at('key.pem'), trainingKeyPem());

const commands = [
  ['version'],
  ['inspect', sample],
  ['strip', sample, '--directory', at('layers'), '--output', at('stripped.tar')],
  ['repack', at('stripped.tar'), '--directory', at('layers'), '--output', at('full.tar')],
  ['key', 'generate', '--type', 'ecdsa-p256', '--output', at('generated-key.pem')],
  ['cert', 'create', '--key', at('key.pem'), '--subject', 'C=US,ST=WA,O=airsign release,CN=train', '--days', '2', '--output', join(work, 'store', 'x509', 'ca', 'train', 'cert.pem')],
  ['sign', at('stripped.tar'), '--key', at('key.pem'), '--cert', join(work, 'store', 'x509', 'ca', 'train', 'cert.pem'), '--format', 'notation', '--output', at('signed.tar')],
  ['sign', at('signed.tar'), '--key', at('key.pem'), '--format', 'cosign', '--identity', 'registry.example/app:1'],
  ['verify', at('signed.tar'), '--stripped', '--trust-policy', at('trustpolicy.json'), '--trust-store', join(work, 'store')],
];

for (const argv of commands) {
  process.argv = [process.argv[0], 'airsign', ...argv];
  const module = { exports: {} };
  run.call(module.exports, module.exports, require, module, filename, dirname(filename));
  const code = await module.exports.done;
  if (code !== 0) throw new Error(`airsign ${argv.join(' ')} exited with ${code}`);
}
process.exitCode = 0;
v8.setFlagsFromString('--sparkplug');
if (v8.cachedDataVersionTag() !== startingFlags) throw new Error('V8 flags differ from those this node started with: the executable would reject this cache');
writeFileSync(cacheFile, script.createCachedData());
