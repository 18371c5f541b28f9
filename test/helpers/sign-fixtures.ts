/**
 * Test keys and certificate chains for signing tests, made with openssl (a peer): a root CA and a
 * Notation-valid leaf (critical digitalSignature KU, codeSigning EKU) for a given key, plus a
 * test-only KeyBackend over node:crypto for unit tests that do not need the keys branch.
 */
import { execFileSync } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyBackend, KeyType, SignatureScheme } from '../../src/key-backend.js';

export type OpensslKeyKind = 'ec-p256' | 'ec-p384' | 'rsa-3072' | 'ed25519';

const GENPKEY: Record<OpensslKeyKind, string[]> = {
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'rsa-3072': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
  ed25519: ['-algorithm', 'ED25519'],
};

const EXTENSIONS = [
  '[v3_root]', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash',
  '[v3_leaf]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=codeSigning',
  'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
  '[v3_leaf_bad_ku]', 'basicConstraints=CA:FALSE', 'keyUsage=digitalSignature', 'subjectKeyIdentifier=hash',
  '',
].join('\n');

export interface TestChain {
  dir: string;
  /** The leaf's private key, PKCS#8 PEM file. */
  keyPath: string;
  /** leaf + root PEM (leaf first). */
  chainPath: string;
  rootPath: string;
  chain: Uint8Array[];
}

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A root CA (P-256) and a leaf certificate over `publicKeyPem` (or a new key of `kind`). */
export function makeTestChain(kind: OpensslKeyKind, options: { publicKeyPem?: string; leafExtensions?: 'v3_leaf' | 'v3_leaf_bad_ku'; dir?: string } = {}): TestChain {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'airsign-chain-'));
  writeFileSync(join(dir, 'ext.cnf'), EXTENSIONS);
  openssl(['genpkey', ...GENPKEY['ec-p256'], '-out', 'root.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'root.key', '-subj', '/C=US/ST=WA/O=airsign tests/CN=airsign test root', '-days', '3650',
    '-config', 'ext.cnf', '-extensions', 'v3_root', '-out', 'root.pem', '-sha256'], dir);
  let keyPath = join(dir, 'leaf.key');
  if (options.publicKeyPem !== undefined) {
    writeFileSync(join(dir, 'leaf.pub'), options.publicKeyPem);
    keyPath = '';
    // A CSR needs the private key; sign the public key directly with -force_pubkey.
    openssl(['genpkey', ...GENPKEY['ec-p256'], '-out', 'dummy.key'], dir);
    openssl(['req', '-new', '-key', 'dummy.key', '-subj', '/C=US/ST=WA/O=airsign tests/CN=airsign test signer', '-out', 'leaf.csr'], dir);
    openssl(['x509', '-req', '-in', 'leaf.csr', '-force_pubkey', 'leaf.pub', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial',
      '-days', '365', '-extfile', 'ext.cnf', '-extensions', options.leafExtensions ?? 'v3_leaf', '-out', 'leaf.pem', '-sha256'], dir);
  } else {
    openssl(['genpkey', ...GENPKEY[kind], '-out', 'leaf.key'], dir);
    openssl(['req', '-new', '-key', 'leaf.key', '-subj', '/C=US/ST=WA/O=airsign tests/CN=airsign test signer', '-out', 'leaf.csr'], dir);
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '365',
      '-extfile', 'ext.cnf', '-extensions', options.leafExtensions ?? 'v3_leaf', '-out', 'leaf.pem', '-sha256'], dir);
  }
  const leafPem = readFileSync(join(dir, 'leaf.pem'), 'utf8');
  const rootPem = readFileSync(join(dir, 'root.pem'), 'utf8');
  writeFileSync(join(dir, 'chain.pem'), leafPem + rootPem);
  return {
    dir,
    keyPath,
    chainPath: join(dir, 'chain.pem'),
    rootPath: join(dir, 'root.pem'),
    chain: [new Uint8Array(new X509Certificate(leafPem).raw), new Uint8Array(new X509Certificate(rootPem).raw)],
  };
}

const HASH_LENGTH = { sha256: 32, sha384: 48, sha512: 64 } as const;

/** A test-only KeyBackend over a PEM private key file (node:crypto). */
export function cryptoKeyBackend(keyPath: string, chain: Uint8Array[]): KeyBackend & { signCount: number } {
  const key = createPrivateKey(readFileSync(keyPath));
  const details = key.asymmetricKeyDetails ?? {};
  let keyType: KeyType;
  if (key.asymmetricKeyType === 'ec') keyType = details.namedCurve === 'secp384r1' ? 'ecdsa-p384' : details.namedCurve === 'secp521r1' ? 'ecdsa-p521' : 'ecdsa-p256';
  else if (key.asymmetricKeyType === 'rsa') keyType = `rsa-${details.modulusLength}` as KeyType;
  else keyType = 'ed25519';
  const backend = {
    description: keyPath,
    keyType,
    signCount: 0,
    publicKeySpki: async () => new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' })),
    certificateChain: async () => chain,
    async sign(message: Uint8Array, scheme: SignatureScheme) {
      backend.signCount += 1;
      switch (scheme.algorithm) {
        case 'ecdsa':
          return new Uint8Array(cryptoSign(scheme.hash, message, { key, dsaEncoding: scheme.encoding === 'raw' ? 'ieee-p1363' : 'der' }));
        case 'rsa-pss':
          return new Uint8Array(cryptoSign(scheme.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[scheme.hash] }));
        case 'rsa-pkcs1':
          return new Uint8Array(cryptoSign(scheme.hash, message, key));
        case 'ed25519':
          return new Uint8Array(cryptoSign(null, message, key));
      }
    },
    async signDigest(): Promise<Uint8Array> {
      throw new Error('not used in tests');
    },
    async close() {},
  };
  return backend;
}
