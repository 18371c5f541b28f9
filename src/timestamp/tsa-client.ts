/**
 * RFC 3161 over HTTP(S) (RFC 3161 §3.4): POST a DER TimeStampReq as
 * `application/timestamp-query`, read a `application/timestamp-reply`. node:http/https only.
 * `createTsaTimestamper` adapts it to the Notation signer's `timestamper` hook: the request
 * covers the raw signature bytes hashed with the signature algorithm's hash.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { airsignError, isAirsignError } from '../errors.js';
import type { HashAlgorithm } from '../key-backend.js';
import { createTimeStampRequest } from './time-stamp-request.js';
import { parseTimeStampResponse, type TimeStampResult } from './time-stamp-response.js';

/** Responses larger than this are refused (a token with a chain is a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface TsaOptions {
  /** Milliseconds for the whole exchange (default 30 s). */
  timeoutMs?: number;
  /** When given, the token's CMS signature must verify with this certificate (DER). */
  tsaCertificate?: Uint8Array;
  /** Extra trusted CA certificates (PEM) for an https TSA. */
  ca?: string;
}

/** Asks the TSA at `url` to time-stamp `message` (hashed here with `hash`). */
export async function requestTimestamp(url: string, message: Uint8Array, hash: HashAlgorithm, options: TsaOptions = {}): Promise<TimeStampResult> {
  const target = parseTsaUrl(url);
  const digest = createHash(hash).update(message).digest();
  const request = createTimeStampRequest(hash, digest);
  const body = await post(target, request.der, options);
  return parseTimeStampResponse(body, request, options.tsaCertificate === undefined ? {} : { tsaCertificate: options.tsaCertificate });
}

/** The Notation `timestamper` hook: returns the TimeStampToken DER for a raw signature. */
export function createTsaTimestamper(url: string, options: TsaOptions = {}): (signature: Uint8Array, hash: HashAlgorithm) => Promise<Uint8Array> {
  parseTsaUrl(url);
  return async (signature, hash) => (await requestTimestamp(url, signature, hash, options)).token;
}

export function parseTsaUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw airsignError('TSA_BAD_URL', `--tsa must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw airsignError('TSA_BAD_URL', `--tsa must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw airsignError('TSA_BAD_URL', '--tsa URLs with credentials are not supported');
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
