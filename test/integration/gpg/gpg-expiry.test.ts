/**
 * `--expiry` applies to GPG signatures as an OpenPGP signature expiration time (hashed subpacket
 * 3): gpg shows it and skopeo accepts the signature before it; a signature past it is EXPSIG for
 * gpg and rejected by skopeo standalone-verify.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultFormatRegistry } from '../../../src/formats/default-formats.js';
import { signLayout } from '../../../src/operations/sign.js';
import type { SigningRecord } from '../../../src/signing-record.js';
import { runCli } from '../../helpers/cli.js';
import { gpg, gpgFingerprints, gpgHome } from '../../helpers/gpg.js';
import { readLayoutBlob } from '../../helpers/sign-checks.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SAMPLES = new URL('../../../samples/', import.meta.url).pathname;
const IDENTITY = 'registry.example.com/app:1.4';
const work = tempDir('airsign-gpg-expiry-');
let key: string;
let home: string;
let fingerprint: string;

beforeAll(() => {
  key = join(work, 'key.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'pipe' });
  const pub = join(work, 'pub.gpg');
  expect(runCli(['key', 'export', key, '--as', 'openpgp', '--user-id', 'E <e@example.com>', '-o', pub]).code).toBe(0);
  home = gpgHome();
  gpg(home, ['--import', pub]);
  fingerprint = gpgFingerprints(home)[0]!;
});

function skopeoVerify(input: string, digest: string, file: string) {
  const manifest = join(work, 'manifest.json');
  writeFileSync(manifest, readLayoutBlob(input, digest));
  const r = spawnSync('skopeo', ['standalone-verify', manifest, IDENTITY, fingerprint, file], { env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('GPG signature expiry', () => {
  it('--expiry 30d: an expiration subpacket 30 days after signing; skopeo accepts it now', () => {
    const input = join(work, 'now.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const r = runCli(['sign', input, '--key', key, '--format', 'gpg', '--identity', IDENTITY, '--lookaside', join(work, 'la-now'), '--expiry', '30d', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = (JSON.parse(r.stdout) as SigningRecord).signatures[0]!;
    expect(Date.parse(s.expiry!) - Date.parse(s.signingTime)).toBe(30 * 86400 * 1000);
    expect(gpg(home, ['--list-packets', s.file!]).stdout).toMatch(/hashed subpkt 3 len 4 \(sig expires after 30d0h0m\)/);
    expect(skopeoVerify(input, s.signedDescriptor.digest, s.file!).code).toBe(0);
  });

  it('a signature past its expiry is EXPSIG for gpg and rejected by skopeo', async () => {
    const input = join(work, 'past.tar');
    copyFileSync(join(SAMPLES, 'single.tar'), input);
    const now = Date.now();
    const result = await signLayout(input, {
      key,
      formats: ['gpg'],
      registry: defaultFormatRegistry({ gpg: { lookaside: join(work, 'la-past') } }),
      identity: IDENTITY,
      signingTime: new Date(now - 2 * 86400_000),
      expiry: new Date(now - 86400_000),
    });
    const s = result.record.signatures[0]!;
    const status = gpg(home, ['--status-fd', '1', '--verify', s.file!]).stdout;
    expect(status).toContain('[GNUPG:] EXPSIG');
    expect(status).not.toContain('[GNUPG:] GOODSIG');
    const verified = skopeoVerify(input, s.signedDescriptor.digest, s.file!);
    expect(verified.code).not.toBe(0);
  });
});
