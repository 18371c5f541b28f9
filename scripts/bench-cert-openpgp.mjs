// Times certificate building, OpenPGP export and OpenPGP message signing through one key, in one
// process (module loaded and logged in once). Needs `npm run build`.
// Usage: node scripts/bench-cert-openpgp.mjs '<pkcs11: URI or key file>' [iterations]
// The building blocks are internal modules (not the package API): import them from dist/ directly.
import { openKey } from '../dist/index.js';
import { buildCertificate } from '../dist/x509/build-certificate.js';
import { exportOpenPgpPublicKey } from '../dist/formats/openpgp/export-public-key.js';
import { signOpenPgpMessage } from '../dist/formats/openpgp/sign-message.js';

const [spec, countText] = process.argv.slice(2);
if (!spec) {
  console.error('usage: node scripts/bench-cert-openpgp.mjs <key> [iterations]');
  process.exit(2);
}
const n = Number(countText ?? 50);
const key = await openKey(spec, { env: process.env }); // PIN or passphrase from AIRSIGN_* / COSIGN_* variables; no prompt
const time = async (label, fn) => {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  console.log(`${label}: ${((performance.now() - start) / n).toFixed(2)} ms each (n=${n})`);
};
await time(`self-signed code-signing certificate (${key.keyType})`, () => buildCertificate({ subjectKey: key, subject: 'C=US,ST=WA,O=Acme,CN=bench' }));
await time('OpenPGP public key export', () => exportOpenPgpPublicKey(key, { userId: 'Bench <bench@example.com>' }));
const payload = new TextEncoder().encode('x'.repeat(300));
await time('OpenPGP signed message, 300-byte payload', () => signOpenPgpMessage(key, payload));
await key.close();
