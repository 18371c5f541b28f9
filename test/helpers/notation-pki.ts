/**
 * A throwaway test PKI made with OpenSSL (a peer): a self-signed root CA and leaf certificates issued
 * for any public key (`-force_pubkey`, so HSM keys need no CSR), with chosen extensions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pemToDer } from './pem.js';

/** Kept here for the files that import it with the PKI; defined in pem.ts (no process, so unit tests can use it). */
export { pemToDer };

export interface IssuedCert {
  pem: string;
  der: Uint8Array;
  path: string;
}

export interface TestPki {
  dir: string;
  root: IssuedCert;
  /** Issues a leaf for `publicKeyPem` under the root (or self-signed with `selfSignedKeyPath`). */
  issue(publicKeyPem: string, options?: { name?: string; extensions?: string[]; days?: number }): IssuedCert;
}

/** Notation-compliant leaf extensions. */
export const CODE_SIGNING_LEAF = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning'];

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'airsign-pki-'));
  const rootKey = join(dir, 'root.key');
  const rootPath = join(dir, 'root.pem');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', rootKey, '-out', rootPath,
    '-days', '3650', '-subj', '/C=US/ST=WA/O=Airsign Test/CN=Airsign Test Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 0;
  return {
    dir,
    root: load(rootPath),
    issue(publicKeyPem, options = {}) {
      serial++;
      const name = options.name ?? `leaf${serial}`;
      const pub = join(dir, `${name}.pub.pem`);
      const ext = join(dir, `${name}.ext`);
      const out = join(dir, `${name}.pem`);
      writeFileSync(pub, publicKeyPem);
      writeFileSync(ext, `${(options.extensions ?? CODE_SIGNING_LEAF).join('\n')}\n`);
      openssl(['x509', '-new', '-force_pubkey', pub, '-subj', `/C=US/ST=WA/O=Airsign Test/CN=${name}`, '-CA', rootPath, '-CAkey', rootKey,
        '-days', String(options.days ?? 365), '-extfile', ext, '-set_serial', String(1000 + serial), '-out', out]);
      return load(out);
    },
  };
}

/** A self-signed leaf for a private key file (a single-certificate chain). */
export function selfSignedLeaf(dir: string, keyPath: string, name: string, extensions: string[] = CODE_SIGNING_LEAF): IssuedCert {
  const out = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-new', '-key', keyPath, '-out', out, '-days', '365', '-subj', `/C=US/ST=WA/O=Airsign Test/CN=${name}`,
    ...extensions.flatMap((e) => ['-addext', e])]);
  return load(out);
}

/** Generates a private key with OpenSSL; returns its path and PEM. */
export function generateKey(dir: string, name: string, algorithm: 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'RSA-1024' | 'ED25519'): { path: string; pem: string; publicPem: string } {
  const path = join(dir, `${name}.key`);
  const args = algorithm.startsWith('P-')
    ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${algorithm}`]
    : algorithm.startsWith('RSA-')
      ? ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${algorithm.slice(4)}`]
      : ['-algorithm', 'ED25519'];
  openssl(['genpkey', ...args, '-out', path]);
  const publicPem = execFileSync('openssl', ['pkey', '-in', path, '-pubout'], { encoding: 'utf8' });
  return { path, pem: readFileSync(path, 'utf8'), publicPem };
}

function load(path: string): IssuedCert {
  const pem = readFileSync(path, 'utf8');
  return { pem, der: pemToDer(pem)[0]!, path };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}
