/**
 * The user's Notation trust store directory, read as notation reads it (notation-go
 * `verifier/truststore`): `x509/{ca,signingAuthority,tsa}/<name>/` holding PEM or DER certificate
 * files. Symbolic links are refused, a store must hold at least one certificate, a certificate that
 * is not a CA must be self-signed, and a TSA store holds only root (self-signed CA) certificates.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../errors.js';
import { parseCertificate } from '../x509/certificate-info.js';
import { decodePemCertificates } from '../pem.js';
import type { TrustStoreType } from './notation-trust-policy.js';

export interface TrustStoreCertificate {
  der: Uint8Array;
  /** The file it came from, for messages. */
  file: string;
}

export interface NotationTrustStore {
  /** Certificates of store `type:name`, read on first use. Throws input TRUST_STORE_INVALID. */
  certificates(type: TrustStoreType, name: string): Promise<TrustStoreCertificate[]>;
}

/**
 * Opens a trust store rooted at `dir`: the directory holding `x509/` (notation's `truststore`), or a
 * notation configuration directory holding `truststore/x509/`.
 */
export async function openNotationTrustStore(dir: string): Promise<NotationTrustStore> {
  let root: string | undefined;
  for (const candidate of [join(dir, 'x509'), join(dir, 'truststore', 'x509')]) {
    const info = await lstat(candidate).catch(() => undefined);
    if (info?.isDirectory()) {
      root = candidate;
      break;
    }
  }
  if (root === undefined) {
    throw airsignError('TRUST_STORE_INVALID', `${dir} is not a Notation trust store (it has no x509/ or truststore/x509/ directory)`);
  }
  const cache = new Map<string, Promise<TrustStoreCertificate[]>>();
  const x509Root = root;
  return {
    certificates(type, name) {
      const key = `${type}:${name}`;
      let found = cache.get(key);
      if (found === undefined) {
        found = readStore(join(x509Root, type, name), type, key);
        cache.set(key, found);
      }
      return found;
    },
  };
}

async function readStore(dir: string, type: TrustStoreType, key: string): Promise<TrustStoreCertificate[]> {
  const bad = (message: string): never => {
    throw airsignError('TRUST_STORE_INVALID', `trust store "${key}" (${dir}): ${message}`);
  };
  const info = await lstat(dir).catch(() => undefined);
  if (info === undefined) return bad('the directory does not exist');
  if (info.isSymbolicLink()) return bad('is a symbolic link (notation refuses links in trust stores)');
  if (!info.isDirectory()) return bad('is not a directory');
  const certificates: TrustStoreCertificate[] = [];
  for (const entry of (await readdir(dir)).sort()) {
    const path = join(dir, entry);
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) bad(`${entry} is a symbolic link (notation refuses links in trust stores)`);
    if (!stat.isFile()) bad(`${entry} is not a regular file`);
    const bytes = new Uint8Array(await readFile(path));
    const text = new TextDecoder().decode(bytes);
    let ders: Uint8Array[];
    try {
      ders = text.includes('-----BEGIN') ? decodePemCertificates(text, entry) : [bytes];
    } catch (e) {
      return bad(`${entry} holds no certificate (${(e as Error).message})`);
    }
    for (const der of ders) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(der);
      } catch {
        return bad(`${entry} is not a PEM or DER X.509 certificate`);
      }
      // Not X509Certificate.checkIssued: OpenSSL's check also wants keyCertSign, which a self-signed leaf lacks.
      let selfSigned: boolean;
      try {
        selfSigned = parseCertificate(der).selfIssued && cert.verify(cert.publicKey);
      } catch {
        selfSigned = false;
      }
      if (!cert.ca && !selfSigned) bad(`${entry}: certificate "${cert.subject.replace(/\n/g, ', ')}" is neither a CA nor self-signed`);
      if (type === 'tsa' && !(cert.ca && selfSigned)) bad(`${entry}: a TSA trust store holds only root certificates`);
      certificates.push({ der, file: entry });
    }
  }
  if (certificates.length === 0) bad('holds no certificate');
  return certificates;
}

/**
 * The trust store `verify` was given: a directory (opened as notation opens it), or the
 * certificates (DER) of each store by `type:name`, each parsed as a certificate first.
 */
export async function notationTrustStoreOf(input: string | Record<string, Uint8Array[]>): Promise<NotationTrustStore> {
  if (typeof input === 'string') return openNotationTrustStore(input);
  for (const [store, certificates] of Object.entries(input)) {
    for (const [i, der] of certificates.entries()) {
      try {
        new X509Certificate(der);
      } catch (e) {
        throw airsignError('TRUST_STORE_INVALID', `certificate ${i + 1} of trust store ${store} is not a DER X.509 certificate`, { cause: e, details: { option: 'trustStore', store } });
      }
    }
  }
  return {
    certificates: (type, name) => Promise.resolve((input[`${type}:${name}`] ?? []).map((der, i) => ({ der, file: `${type}:${name} certificate ${i + 1}` }))),
  };
}
