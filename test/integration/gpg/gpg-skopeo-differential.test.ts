/**
 * Differential: `skopeo standalone-verify` (containers/image + gpgme) and airsign's GPG
 * verification reach the same verdict on fresh GnuPG signatures — RSA, DSA, Ed25519, NIST
 * P-256/384/521 and brainpool keys; ZIP, ZLIB, BZip2 and no compression; armor; SHA-1/512; expired
 * and revoked keys, subkeys and signatures; a primary whose sign flag was dropped; message shapes
 * gpgme refuses or accepts; text and cleartext (--clearsign) signatures.
 * make-gpg-signature-matrix.sh makes the keys and signatures once per run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifySignatureFile } from '../../../src/operations/verify-signature.js';
import { sha256Digest } from '../../helpers/sha256.js';
import { tempDir } from '../../helpers/temp-dir.js';

const HERE = new URL('.', import.meta.url).pathname;
const MANIFEST = new URL('../../fixtures/containers-image/image.manifest.json', import.meta.url).pathname;
const REFERENCE = 'registry.example/app:1';
const work = tempDir('airsign-gpg-matrix-');

interface Case { name: string; fingerprint: string; signature: string; skopeoFingerprint: string }
interface Outcome { skopeo: boolean; skopeoSays: string; airsign: boolean; airsignSays: string }
let cases: Case[] = [];
const outcomes = new Map<string, Outcome>();

function skopeo(c: Case, manifest: string): Promise<{ ok: boolean; says: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['standalone-verify', manifest, REFERENCE, c.skopeoFingerprint, join(work, c.signature)], { env: { ...process.env, GNUPGHOME: join(work, 'home') } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ok: code === 0, says: out.trim().split('\n').pop() ?? '' }));
  });
}

async function airsign(c: Case, manifest: string): Promise<{ ok: boolean; says: string }> {
  try {
    const r = await verifySignatureFile(join(work, c.signature), { format: 'gpg', manifest, identity: REFERENCE, keyring: join(work, 'pubring.gpg'), fingerprints: [c.fingerprint] });
    return { ok: r.verified, says: r.verified ? 'verified' : (r.reason ?? JSON.stringify(r.checks)) };
  } catch (e) {
    return { ok: false, says: `error ${(e as Error).message}` };
  }
}

beforeAll(async () => {
  const manifest = join(work, 'manifest.json');
  copyFileSync(MANIFEST, manifest);
  const digest = sha256Digest(readFileSync(manifest));
  const made = spawnSync('bash', [join(HERE, 'make-gpg-signature-matrix.sh'), work, manifest, digest, REFERENCE], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-gpg-signature-matrix.sh failed: ${made.stderr}`);
  cases = readFileSync(join(work, 'cases.tsv'), 'utf8').trim().split('\n').map((line) => {
    const [name, fingerprint, signature, skopeoFingerprint] = line.split('\t') as [string, string, string, string];
    return { name, fingerprint, signature, skopeoFingerprint };
  });
  // Two at a time (two cores): skopeo starts a gpg for each.
  const queue = [...cases];
  await Promise.all([0, 1].map(async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const [s, a] = [await skopeo(c, manifest), await airsign(c, manifest)];
      outcomes.set(c.name, { skopeo: s.ok, skopeoSays: s.says, airsign: a.ok, airsignSays: a.says });
    }
  }));
}, 240_000);

describe('skopeo standalone-verify vs airsign on fresh GnuPG signatures', () => {
  it('reaches the same verdict on every case', () => {
    const disagreements = cases.filter((c) => outcomes.get(c.name)!.skopeo !== outcomes.get(c.name)!.airsign)
      .map((c) => ({ case: c.name, ...outcomes.get(c.name)! }));
    const accepted = cases.filter((c) => outcomes.get(c.name)!.skopeo).length;
    console.log(`gpg/skopeo differential: ${cases.length} cases (${accepted} accepted by skopeo), ${cases.length - disagreements.length} agree`);
    expect(cases.length).toBeGreaterThanOrEqual(51);
    expect(disagreements).toEqual([]);
  });

  it('covers what the reference accepts and refuses', () => {
    const verdict = (name: string) => outcomes.get(name)?.skopeo;
    for (const name of ['rsa2048', 'dsa2048', 'ed25519', 'nistp521', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'ed25519-bzip2', 'dsa2048-bzip2', 'subkey', 'signature-first', 'ed25519-clearsign', 'rsa2048-clearsign', 'clearsign-trailing-blanks', 'ed25519-textmode']) {
      expect(verdict(name), name).toBe(true);
    }
    for (const name of ['two-signatures', 'onepass-signature-literal', 'literal-signature', 'onepass-literal-two-signatures', 'tampered', 'expired-key', 'revoked-key', 'revoked-subkey', 'expired-subkey', 'expired-signature', 'usage-dropped', 'detached', 'clearsign-tampered']) {
      expect(verdict(name), name).toBe(false);
    }
  });

  it('names the real problem', () => {
    expect(outcomes.get('usage-dropped')!.airsignSays).toMatch(/wrong key usage/);
    expect(outcomes.get('two-signatures')!.airsignSays).toMatch(/2 signatures/);
    expect(outcomes.get('onepass-signature-literal')!.airsignSays).toMatch(/order gpgme does not verify/);
    expect(outcomes.get('tampered')!.airsignSays).toMatch(/changed/);
  });
});
