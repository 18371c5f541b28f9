/**
 * RFC 3161 over HTTP(S) (RFC 3161 §3.4): POST a DER TimeStampReq as
 * `application/timestamp-query`, read a `application/timestamp-reply`. node:http/https only.
 * `createTsaTimestamper` adapts it to the Notation signer's `timestamper` hook: the request
 * covers the raw signature bytes hashed with the signature algorithm's hash, and every token is
 * checked against the TSA root the caller trusts, as Notation will check it (time-stamp-token.ts).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { airsignError, isAirsignError } from '../errors.js';
import type { HashAlgorithm } from '../key-backend.js';
import { createTimeStampRequest } from './time-stamp-request.js';
import { parseTimeStampResponse, type TimeStampResult } from './time-stamp-response.js';
import { verifyTimeStampToken } from './time-stamp-token.js';
import { parseCertificate } from '../x509/certificate-info.js';

/** Responses larger than this are refused (a token with a chain is a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface TsaOptions {
  /** Milliseconds for the whole exchange (default 30 s). */
  timeoutMs?: number;
  /**
   * The TSA roots (DER, self-signed) the token's signer must chain to; with them the token is
   * checked as Notation checks it (EKU, ESS signing-certificate-v2, no SHA-1). Required by
   * createTsaTimestamper.
   */
  rootCertificates?: readonly Uint8Array[];
  /** Extra trusted CA certificates (PEM) for an https TSA. */
  ca?: string;
}

/** Asks the TSA at `url` to time-stamp `message` (hashed here with `hash`). */
export async function requestTimestamp(url: string, message: Uint8Array, hash: HashAlgorithm, options: TsaOptions = {}): Promise<TimeStampResult> {
  const target = parseTsaUrl(url);
  const digest = createHash(hash).update(message).digest();
  const request = createTimeStampRequest(hash, digest);
  const body = await post(target, request.der, options);
  const result = parseTimeStampResponse(body, request);
  const roots = options.rootCertificates ?? [];
  if (roots.length > 0) verifyTimeStampToken(result.token, { message, hash, roots });
  return result;
}

/**
 * The Notation `timestamper` hook: returns the TimeStampToken DER for a raw signature, checked
 * against `options.rootCertificates` (required: TSA_ROOT_REQUIRED without them).
 */
export function createTsaTimestamper(url: string, options: TsaOptions = {}): (signature: Uint8Array, hash: HashAlgorithm) => Promise<Uint8Array> {
  parseTsaUrl(url);
  const roots = options.rootCertificates ?? [];
  if (roots.length === 0) {
    throw airsignError('TSA_ROOT_REQUIRED', 'options.tsaUrl needs the TSA\'s root certificate (options.tsaOptions.rootCertificates root.pem): the time stamp is checked against it, as Notation will', {
      details: { option: 'tsaOptions.rootCertificates' },
    });
  }
  for (const root of roots) assertSelfSignedRoot(root);
  return async (signature, hash) => (await requestTimestamp(url, signature, hash, options)).token;
}

/** Notation's TSA trust store holds self-signed roots only; refuse anything else up front. */
function assertSelfSignedRoot(der: Uint8Array): void {
  let info;
  let selfSigned: boolean;
  try {
    info = parseCertificate(der);
    const x509 = new X509Certificate(der);
    selfSigned = Buffer.from(info.issuerDer).equals(Buffer.from(info.subjectDer)) && x509.verify(x509.publicKey);
  } catch (e) {
    throw airsignError('TSA_BAD_CERTIFICATE', 'the TSA root certificate does not parse', { cause: e });
  }
  if (!selfSigned || info.basicConstraints?.ca !== true) {
    throw airsignError('TSA_BAD_CERTIFICATE', `the TSA root certificate "${info.subject}" is not a self-signed CA certificate (give the TSA's root, as in Notation's tsa trust store)`);
  }
}

function parseTsaUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw airsignError('TSA_BAD_URL', `options.tsaUrl must be an http:// or https:// URL, got ${JSON.stringify(url)}`, { details: { option: 'tsaUrl', value: url } });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw airsignError('TSA_BAD_URL', `options.tsaUrl must be an http:// or https:// URL, got ${JSON.stringify(url)}`, { details: { option: 'tsaUrl', value: url } });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw airsignError('TSA_BAD_URL', 'options.tsaUrl URLs with credentials are not supported', { details: { option: 'tsaUrl' } });
  }
  return parsed;
}

function post(url: URL, body: Uint8Array, options: TsaOptions): Promise<Uint8Array> {
  const where = `${url.protocol}//${url.host}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/timestamp-query',
        accept: 'application/timestamp-reply',
        'content-length': body.length,
      },
      timeout: options.timeoutMs ?? 30_000,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(airsignError('TSA_HTTP_ERROR', `the TSA at ${where} answered HTTP ${res.statusCode ?? '?'}`, { details: { status: res.statusCode } }));
        return;
      }
      const type = (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/timestamp-reply') {
        res.resume();
        reject(airsignError('TSA_BAD_RESPONSE', `the TSA at ${where} answered with content type ${JSON.stringify(type)}, not application/timestamp-reply`));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_RESPONSE_BYTES) {
          req.destroy();
          reject(airsignError('TSA_BAD_RESPONSE', `the TSA at ${where} sent more than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
      res.on('error', (e) => reject(unreachable(where, e)));
    });
    req.on('timeout', () => req.destroy(airsignError('TSA_UNREACHABLE', `the TSA at ${where} did not answer in time`)));
    req.on('error', (e) => reject(isAirsignError(e) ? e : unreachable(where, e)));
    req.end(body);
  });
}

function unreachable(where: string, cause: Error) {
  const code = (cause as NodeJS.ErrnoException).code;
  return airsignError('TSA_UNREACHABLE', `cannot reach the TSA at ${where}: ${code ?? cause.message}`, { cause });
}
