#!/usr/bin/env node
// Part of scripts/pkcs11-matrix.sh: checks one cosign signature of a signed layout tar with openssl
// (a peer airsign did not write). Extracts the tar with tar(1), finds the cosign simple-signing
// layer and its dev.cosignproject.cosign/signature annotation, and runs
// `openssl dgst -sha256 -verify <pub.pem> -signature <sig> <payload>` (ECDSA DER / RSA PKCS#1 v1.5).
// Usage: node scripts/pkcs11-matrix-openssl-check.mjs <signed.tar> <pub.pem>
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [tar, pub] = process.argv.slice(2);
if (!tar || !pub) throw new Error('usage: pkcs11-matrix-openssl-check.mjs <signed.tar> <pub.pem>');
const dir = mkdtempSync(join(tmpdir(), 'airsign-ossl-'));
try {
  execFileSync('tar', ['-xf', tar, '-C', dir]);
  const blob = (digest) => readFileSync(join(dir, 'blobs', ...digest.split(':')));
  let checked = 0;
  for (const name of readdirSync(join(dir, 'blobs', 'sha256'))) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', name), 'utf8'));
    } catch {
      continue;
    }
    for (const layer of manifest?.layers ?? []) {
      const signature = layer.annotations?.['dev.cosignproject.cosign/signature'];
      if (layer.mediaType !== 'application/vnd.dev.cosign.simplesigning.v1+json' || signature === undefined) continue;
      writeFileSync(join(dir, 'payload'), blob(layer.digest));
      writeFileSync(join(dir, 'sig'), Buffer.from(signature, 'base64'));
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(dir, 'sig'), join(dir, 'payload')], { encoding: 'utf8' });
      if (!/Verified OK/.test(out)) throw new Error(`openssl: ${out}`);
      checked++;
    }
  }
  if (checked === 0) throw new Error('no cosign signature found in the tar');
  console.log(`openssl: ${checked} cosign signature(s) Verified OK`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
