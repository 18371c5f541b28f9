#!/usr/bin/env node
// Bench helper (scripts/bench-startup.mjs): the least a Node program can do for `airsign sign` of a
// small stripped tar with a file key, to show how much of the executable's start-up is Node's own.
// It reads the key and the certificate and parses both with node:crypto (OpenSSL), reads the tar and
// hashes it, signs a small JSON payload with ES256, and writes the tar with the payload and signature
// appended to a temporary file, fsync'd and renamed over OUT. No argument parser, no OCI layout
// model, no certificate-chain rules, no envelope: not a signer, only a floor.
// CommonJS, as the executable's CLI is: an ES module entry costs Node's ES loader (about 8 ms here).
// Usage: node scripts/bench/sign-floor.cjs KEY.pem CERT.pem IN.tar OUT.tar
'use strict';
const { X509Certificate, createHash, createPrivateKey, sign } = require('node:crypto');
const { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } = require('node:fs');

const [keyFile, certFile, input, output] = process.argv.slice(2);
if (output === undefined) {
  process.stderr.write('usage: node scripts/bench/sign-floor.cjs KEY.pem CERT.pem IN.tar OUT.tar\n');
  process.exit(2);
}
const key = createPrivateKey(readFileSync(keyFile));
const certificate = new X509Certificate(readFileSync(certFile));
const tar = readFileSync(input);
const digest = createHash('sha256').update(tar).digest('hex');
const payload = Buffer.from(JSON.stringify({ targetArtifact: { digest: `sha256:${digest}`, size: tar.length }, signer: certificate.subject }));
const signature = sign('sha256', payload, { key, dsaEncoding: 'ieee-p1363' });
const temporary = `${output}.floor-${process.pid}.tmp`;
const fd = openSync(temporary, 'w');
try {
  writeSync(fd, Buffer.concat([tar, payload, signature]));
  fsyncSync(fd);
} finally {
  closeSync(fd);
}
renameSync(temporary, output);
