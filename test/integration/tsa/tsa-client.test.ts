import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTsaTimestamper, requestTimestamp } from '../../../src/timestamp/tsa-client.js';
import { createTimeStampRequest } from '../../../src/timestamp/time-stamp-request.js';
import { parseTimeStampResponse } from '../../../src/timestamp/time-stamp-response.js';
import { startLocalTsa, verifyTokenWithOpenssl, type LocalTsa } from '../../helpers/local-tsa.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let tsa: LocalTsa;

beforeAll(async () => {
  tsa = await startLocalTsa();
});
afterAll(async () => {
  await tsa?.close();
});

describe('RFC 3161 client against openssl ts on 127.0.0.1', () => {
  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    it(`gets a token over the ${hash} of a signature that openssl ts -verify accepts`, async () => {
      tsa.mode = 'ok';
      const signature = randomBytes(96);
      const result = await requestTimestamp(tsa.url, signature, hash, { rootCertificates: [tsa.rootDer] });
      expect(result.token[0]).toBe(0x30);
      expect(Math.abs(result.genTime.getTime() - Date.now())).toBeLessThan(120_000);
      expect(result.policy).toBe('1.2.3.4.1');
      expect(result.certificates.length).toBeGreaterThanOrEqual(1);
      expect(verifyTokenWithOpenssl(tsa, signature, result.token)).toMatch(/Verification: OK/);
      // The same token does not verify over other data (the peer check can fail).
      expect(() => verifyTokenWithOpenssl(tsa, randomBytes(96), result.token)).toThrow();
    });
  }

  it('writes a request openssl ts -query -text reads with certReq, nonce and the imprint', () => {
    const digest = createHash('sha384').update('x').digest();
    const request = createTimeStampRequest('sha384', digest, { nonce: Uint8Array.of(0x81, 2, 3, 4) });
    const path = join(tsa.dir, 'req-text.der');
    writeFileSync(path, request.der);
    const text = execFileSync('openssl', ['ts', '-query', '-in', path, '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/Hash Algorithm: sha384/);
    expect(text).toMatch(/Certificate required: yes/);
    expect(text).toMatch(/Nonce: 0x81020304/);
    expect(request.nonce).toBe(0x81020304n);
  });

  it('the timestamper hook needs the TSA root (a self-signed CA), and returns the token DER', async () => {
    tsa.mode = 'ok';
    expect(() => createTsaTimestamper(tsa.url)).toThrow(expect.objectContaining({ code: 'TSA_ROOT_REQUIRED', kind: 'input' }));
    expect(() => createTsaTimestamper(tsa.url, { rootCertificates: [tsa.tsaCertDer] })).toThrow(expect.objectContaining({ code: 'TSA_BAD_CERTIFICATE' }));
    const stamp = createTsaTimestamper(tsa.url, { rootCertificates: [tsa.rootDer] });
    const sig = randomBytes(64);
    const token = await stamp(sig, 'sha256');
    expect(verifyTokenWithOpenssl(tsa, sig, token)).toMatch(/Verification: OK/);
  });

  it('refuses a good token when another root is given', async () => {
    tsa.mode = 'ok';
    await expect(requestTimestamp(tsa.url, randomBytes(32), 'sha256', { rootCertificates: [tsa.otherRootDer] }))
      .rejects.toMatchObject({ code: 'TSA_TOKEN_UNTRUSTED', kind: 'input', details: { rule: 'NO_PATH_TO_ROOT' } });
  });

  // Each fault once accepted by the plain client (no root: only status, imprint and nonce are checked)
  // and refused once the token is checked as Notation checks it.
  const faults: Array<[string, LocalTsa['mode'], string, RegExp]> = [
    ['a SHA-1 signed token', 'sha1', 'TSA_WEAK_ALGORITHM', /SHA-1/],
    ['an ESS signing-certificate v1 (SHA-1) instead of v2', 'ess-v1', 'TSA_ESS_MISSING', /signing-certificate-v2/],
    ['a TSA under another root', 'other-root', 'TSA_TOKEN_UNTRUSTED', /does not chain to the given TSA root/],
    ['a TSA certificate whose timeStamping EKU is not critical', 'eku-not-critical', 'TSA_CERT_EKU', /critical extended key usage/],
    ['a TSA certificate with another EKU besides timeStamping', 'eku-extra', 'TSA_CERT_EKU', /timeStamping only/],
  ];
  for (const [what, mode, code, message] of faults) {
    it(`refuses ${what} (${code})`, async () => {
      tsa.mode = mode;
      try {
        const data = randomBytes(32);
        const plain = await requestTimestamp(tsa.url, data, 'sha256');
        expect(plain.token[0]).toBe(0x30);
        await expect(requestTimestamp(tsa.url, data, 'sha256', { rootCertificates: [tsa.rootDer] }))
          .rejects.toMatchObject({ code, kind: 'input', message: expect.stringMatching(message) });
      } finally {
        tsa.mode = 'ok';
      }
    });
  }

  const failures: Array<[string, LocalTsa['mode'], string]> = [
    ['HTTP 500', 'http-500', 'TSA_HTTP_ERROR'],
    ['a wrong content type', 'wrong-content-type', 'TSA_BAD_RESPONSE'],
    ['garbage', 'garbage', 'TSA_BAD_RESPONSE'],
    ['a rejection status', 'rejection', 'TSA_REJECTED'],
  ];
  for (const [what, mode, code] of failures) {
    it(`fails cleanly on ${what}`, async () => {
      tsa.mode = mode;
      await expect(requestTimestamp(tsa.url, randomBytes(32), 'sha256')).rejects.toMatchObject({ code, kind: 'input' });
      tsa.mode = 'ok';
    });
  }

  it('detects a replayed response: other data → imprint mismatch, same data → nonce mismatch', async () => {
    tsa.mode = 'ok';
    const fresh = await startLocalTsa();
    try {
      const data = randomBytes(32);
      await requestTimestamp(fresh.url, data, 'sha256');
      fresh.mode = 'replay-first';
      await expect(requestTimestamp(fresh.url, randomBytes(32), 'sha256')).rejects.toMatchObject({ code: 'TSA_IMPRINT_MISMATCH' });
      await expect(requestTimestamp(fresh.url, data, 'sha256')).rejects.toMatchObject({ code: 'TSA_NONCE_MISMATCH' });
    } finally {
      await fresh.close();
    }
  });

  it('fails cleanly when nothing listens, and on bad URLs', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    await expect(requestTimestamp(`http://127.0.0.1:${port}/`, randomBytes(32), 'sha256')).rejects.toMatchObject({ code: 'TSA_UNREACHABLE', kind: 'unavailable' });
    expect(() => createTsaTimestamper('ftp://x/')).toThrow(expect.objectContaining({ code: 'TSA_BAD_URL' }));
    expect(() => createTsaTimestamper('not a url')).toThrow(expect.objectContaining({ code: 'TSA_BAD_URL' }));
  });

  it('times out on a TSA that never answers', async () => {
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await expect(requestTimestamp(`http://127.0.0.1:${port}/`, randomBytes(32), 'sha256', { timeoutMs: 300 }))
        .rejects.toMatchObject({ code: 'TSA_UNREACHABLE' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('reading an openssl ts -reply response byte for byte', () => {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  /** A request for the sha256 of `data` and openssl's reply to it, plus the token as `openssl ts -token_out` cuts it. */
  function opensslReply(data: Uint8Array) {
    const request = createTimeStampRequest('sha256', createHash('sha256').update(data).digest());
    const base = join(tsa.dir, `exact-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    writeFileSync(`${base}.tsq`, request.der);
    execFileSync('openssl', ['ts', '-reply', '-config', join(tsa.dir, 'ts.cnf'), '-queryfile', `${base}.tsq`, '-out', `${base}.tsr`], { stdio: 'pipe' });
    execFileSync('openssl', ['ts', '-reply', '-in', `${base}.tsr`, '-token_out', '-out', `${base}.tst`], { stdio: 'pipe' });
    const text = execFileSync('openssl', ['ts', '-reply', '-in', `${base}.tsr`, '-text'], { encoding: 'utf8' });
    return { request, response: new Uint8Array(readFileSync(`${base}.tsr`)), token: new Uint8Array(readFileSync(`${base}.tst`)), text };
  }

  it('returns the token and the certificates exactly as the TSA sent them, and the TSTInfo fields', () => {
    const data = randomBytes(80);
    const { request, response, token, text } = opensslReply(data);
    const result = parseTimeStampResponse(response, request, { tsaCertificate: tsa.tsaCertDer });
    expect(hex(result.token)).toBe(hex(token));
    expect(hex(result.token)).toBe(hex(response.subarray(response.length - token.length)));
    expect(verifyTokenWithOpenssl(tsa, data, result.token)).toMatch(/Verification: OK/);
    const rootDer = new Uint8Array(execFileSync('openssl', ['x509', '-in', tsa.rootPath, '-outform', 'DER']));
    expect(result.certificates.map(hex).sort()).toEqual([hex(tsa.tsaCertDer), hex(rootDer)].sort());
    expect(BigInt(`0x${result.serialNumber}`)).toBe(BigInt(/Serial number: (0x[0-9A-Fa-f]+)/.exec(text)![1]!));
    expect(result.genTime.getTime()).toBe(Date.parse(/Time stamp: (.+)/.exec(text)![1]!));
    expect(result.policy).toBe('1.2.3.4.1'); // openssl prints it by its config name, tsa_policy1
    expect(text).toMatch(new RegExp(`Nonce: 0x0*${request.nonce.toString(16)}`, 'i'));
  });

  it('checks the imprint, the nonce and (with a TSA certificate) the signature of the token', () => {
    const { request, response } = opensslReply(randomBytes(80));
    const otherDigest = Uint8Array.from(request.hashedMessage);
    otherDigest[0]! ^= 1;
    expect(() => parseTimeStampResponse(response, { ...request, hashedMessage: otherDigest }))
      .toThrow(expect.objectContaining({ code: 'TSA_IMPRINT_MISMATCH', kind: 'input' }));
    expect(() => parseTimeStampResponse(response, { ...request, hash: 'sha384', hashedMessage: new Uint8Array(48) }))
      .toThrow(expect.objectContaining({ code: 'TSA_IMPRINT_MISMATCH' }));
    expect(() => parseTimeStampResponse(response, { ...request, nonce: request.nonce + 1n }))
      .toThrow(expect.objectContaining({ code: 'TSA_NONCE_MISMATCH', kind: 'input' }));
    // The last octet of openssl's token is the signature's: without a TSA certificate nothing
    // checks it; with one, the token is refused.
    const tampered = Uint8Array.from(response);
    tampered[tampered.length - 1]! ^= 1;
    expect(parseTimeStampResponse(tampered, request).token[0]).toBe(0x30);
    expect(() => parseTimeStampResponse(tampered, request, { tsaCertificate: tsa.tsaCertDer }))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_SIGNATURE', kind: 'input' }));
    expect(() => parseTimeStampResponse(response, request, { tsaCertificate: Uint8Array.of(1, 2, 3) }))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_CERTIFICATE', kind: 'input' }));
    expect(() => parseTimeStampResponse(Uint8Array.from([...response, 0x05, 0x00]), request))
      .toThrow(expect.objectContaining({ code: 'TSA_BAD_RESPONSE' }));
  });
});
