import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTsaTimestamper, requestTimestamp } from '../../../src/timestamp/tsa-client.js';
import { createTimeStampRequest } from '../../../src/timestamp/time-stamp-request.js';
import { startLocalTsa, verifyTokenWithOpenssl, type LocalTsa } from '../../helpers/local-tsa.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
      const result = await requestTimestamp(tsa.url, signature, hash, { tsaCertificate: tsa.tsaCertDer });
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

  it('the timestamper hook returns the token DER', async () => {
    tsa.mode = 'ok';
    const stamp = createTsaTimestamper(tsa.url);
    const sig = randomBytes(64);
    const token = await stamp(sig, 'sha256');
    expect(verifyTokenWithOpenssl(tsa, sig, token)).toMatch(/Verification: OK/);
  });

  it('refuses a token that does not verify with another TSA certificate', async () => {
    tsa.mode = 'ok';
    const other = await startLocalTsa();
    try {
      await expect(requestTimestamp(tsa.url, randomBytes(32), 'sha256', { tsaCertificate: other.tsaCertDer }))
        .rejects.toMatchObject({ code: 'TSA_BAD_SIGNATURE', kind: 'input' });
    } finally {
      await other.close();
    }
  });

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
    await expect(requestTimestamp(`http://127.0.0.1:${port}/`, randomBytes(32), 'sha256')).rejects.toMatchObject({ code: 'TSA_UNREACHABLE' });
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
