/**
 * A real RFC 3161 TSA for tests: a node:http server on 127.0.0.1 that answers each
 * `application/timestamp-query` by running `openssl ts -reply` (a peer we did not write) with a
 * freshly made TSA root + TSA certificate (EKU timeStamping, critical).
 *
 * It injects faults Notation must refuse, one per `mode`: tokens signed with SHA-1, with an ESS
 * signing-certificate (v1, SHA-1) instead of v2, by a TSA under another root, with an accuracy so
 * wide that genTime ± accuracy leaves any signing certificate's validity, and (re-signed with
 * `openssl cms`, since `openssl ts` itself refuses such certificates) by a TSA certificate whose
 * timeStamping EKU is not critical or not alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TsaMode = 'ok' | 'http-500' | 'wrong-content-type' | 'garbage' | 'replay-first' | 'rejection' | TsaFault;

/** Well-formed tokens that break one of Notation's time-stamp rules. */
export type TsaFault = 'sha1' | 'ess-v1' | 'other-root' | 'wide-accuracy' | 'eku-not-critical' | 'eku-extra';

/** The TSA sections of ts.cnf (openssl ts -reply -section) each openssl-made fault uses. */
const FAULT_SECTIONS: Partial<Record<TsaMode, string>> = {
  ok: 'tsa_ok', sha1: 'tsa_sha1', 'ess-v1': 'tsa_ess_v1', 'other-root': 'tsa_other_root', 'wide-accuracy': 'tsa_wide',
};
/** Faults made by re-signing a good token's TSTInfo with `openssl cms -sign` under this certificate. */
const RESIGN_CERTS: Partial<Record<TsaMode, string>> = { 'eku-not-critical': 'tsa-soft-eku', 'eku-extra': 'tsa-extra-eku' };

export interface LocalTsa {
  url: string;
  dir: string;
  /** PEM of the TSA root (CAfile for `openssl ts -verify`). */
  rootPem: string;
  rootPath: string;
  rootDer: Uint8Array;
  /** The root of another TSA (the 'other-root' fault's), PEM path and DER. */
  otherRootPath: string;
  otherRootDer: Uint8Array;
  /** The TSA signing certificate (PEM path and DER). */
  tsaCertPath: string;
  tsaCertDer: Uint8Array;
  /** How the next requests are answered. */
  mode: TsaMode;
  requests: number;
  close(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export async function startLocalTsa(): Promise<LocalTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'airsign-tsa-'));
  writeFileSync(join(dir, 'root.cnf'), [
    '[req]', 'distinguished_name=dn', 'prompt=no', '[dn]', 'CN=airsign test TSA root', 'O=airsign tests',
    '[v3_root]', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash',
    '[v3_tsa]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping',
    'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', '',
  ].join('\n'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '3650',
    '-config', 'root.cnf', '-extensions', 'v3_root', '-sha256'], dir);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=airsign test TSA/O=airsign tests'], dir);
  openssl(['x509', '-req', '-in', 'tsa.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'tsa.pem', '-days', '3650',
    '-extfile', 'root.cnf', '-extensions', 'v3_tsa', '-sha256'], dir);
  writeFileSync(join(dir, 'tsaserial'), '01\n');
  // Fault material: a second root with its own TSA, and TSA certificates openssl ts would refuse.
  writeFileSync(join(dir, 'faults.cnf'), [
    '[v3_root]', 'basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash',
    '[v3_tsa]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping',
    '[v3_soft_eku]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=timeStamping',
    '[v3_extra_eku]', 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping,codeSigning', '',
  ].join('\n'));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other-root.key', '-out', 'other-root.pem',
    '-days', '3650', '-subj', '/CN=another TSA root', '-config', 'root.cnf', '-extensions', 'v3_root'], dir);
  const issue = (name: string, ca: string, ext: string) => {
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
      '-subj', `/CN=${name}/O=airsign tests`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`,
      '-days', '3650', '-extfile', 'faults.cnf', '-extensions', ext, '-sha256'], dir);
  };
  issue('other-tsa', 'other-root', 'v3_tsa');
  issue('tsa-soft-eku', 'root', 'v3_soft_eku');
  issue('tsa-extra-eku', 'root', 'v3_extra_eku');
  const section = (name: string, settings: Record<string, string>) => {
    const all: Record<string, string> = {
      dir, serial: '$dir/tsaserial', crypto_device: 'builtin', signer_cert: '$dir/tsa.pem', certs: '$dir/root.pem',
      signer_key: '$dir/tsa.key', signer_digest: 'sha256', default_policy: '1.2.3.4.1', other_policies: '1.2.3.4.5',
      digests: 'sha256, sha384, sha512', accuracy: 'secs:1', ordering: 'no', tsa_name: 'yes', ess_cert_id_chain: 'no',
      ess_cert_id_alg: 'sha256', ...settings,
    };
    return [`[${name}]`, ...Object.entries(all).map(([k, v]) => `${k} = ${v}`)];
  };
  writeFileSync(join(dir, 'ts.cnf'), [
    '[tsa]', 'default_tsa = tsa_ok',
    ...section('tsa_ok', {}),
    ...section('tsa_sha1', { signer_digest: 'sha1' }),
    ...section('tsa_ess_v1', { ess_cert_id_alg: 'sha1' }),
    ...section('tsa_other_root', { signer_cert: '$dir/other-tsa.pem', signer_key: '$dir/other-tsa.key', certs: '$dir/other-root.pem' }),
    ...section('tsa_wide', { accuracy: 'secs:34560000' }), // 400 days
    '',
  ].join('\n'));
  const tsaCertDer = new Uint8Array(execFileSync('openssl', ['x509', '-in', join(dir, 'tsa.pem'), '-outform', 'DER']));

  let first: Buffer | undefined;
  let counter = 0;
  const state = { mode: 'ok' as TsaMode, requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests += 1;
      if (state.mode === 'http-500') {
        res.writeHead(500).end('broken');
        return;
      }
      if (state.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(Buffer.from('not DER at all'));
        return;
      }
      if (state.mode === 'rejection') {
        // TimeStampResp { status { rejection(2), statusString { "policy says no" } } }
        const text = Buffer.from('policy says no');
        const free = Buffer.concat([Buffer.from([0x30, text.length + 2, 0x0c, text.length]), text]);
        const status = Buffer.concat([Buffer.from([0x30, free.length + 3, 0x02, 0x01, 0x02]), free]);
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(Buffer.concat([Buffer.from([0x30, status.length]), status]));
        return;
      }
      if (state.mode === 'replay-first' && first !== undefined) {
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(first);
        return;
      }
      counter += 1;
      const query = join(dir, `q${counter}.der`);
      const reply = join(dir, `r${counter}.der`);
      writeFileSync(query, Buffer.concat(chunks));
      let body: Buffer;
      try {
        const sectionName = FAULT_SECTIONS[state.mode] ?? 'tsa_ok';
        execFileSync('openssl', ['ts', '-reply', '-config', join(dir, 'ts.cnf'), '-section', sectionName, '-queryfile', query, '-out', reply], { stdio: 'pipe' });
        body = readFileSync(reply);
        const resignWith = RESIGN_CERTS[state.mode];
        if (resignWith !== undefined) body = resign(dir, counter, reply, resignWith);
      } catch (e) {
        res.writeHead(500).end(String(e));
        return;
      }
      first ??= body;
      const type = state.mode === 'wrong-content-type' ? 'text/plain' : 'application/timestamp-reply';
      res.writeHead(200, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const tsa: LocalTsa = {
    url: `http://127.0.0.1:${port}/tsa`,
    dir,
    rootPem: readFileSync(join(dir, 'root.pem'), 'utf8'),
    rootPath: join(dir, 'root.pem'),
    rootDer: derOf(join(dir, 'root.pem')),
    otherRootPath: join(dir, 'other-root.pem'),
    otherRootDer: derOf(join(dir, 'other-root.pem')),
    tsaCertPath: join(dir, 'tsa.pem'),
    tsaCertDer,
    get mode() {
      return state.mode;
    },
    set mode(m: TsaMode) {
      state.mode = m;
    },
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return tsa;
}

function derOf(pemPath: string): Uint8Array {
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', pemPath, '-outform', 'DER']));
}

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/**
 * The same TSTInfo as the good reply, signed again by `cert` with `openssl cms -sign` (eContentType
 * id-ct-TSTInfo, the TSA root in the certificates), wrapped in a granted TimeStampResp.
 */
function resign(dir: string, n: number, reply: string, cert: string): Buffer {
  const token = join(dir, `t${n}.der`);
  const tstInfo = join(dir, `i${n}.der`);
  const resigned = join(dir, `s${n}.der`);
  execFileSync('openssl', ['ts', '-reply', '-in', reply, '-token_out', '-out', token], { stdio: 'pipe' });
  execFileSync('openssl', ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', token, '-out', tstInfo], { stdio: 'pipe' });
  execFileSync('openssl', ['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-md', 'sha256', '-in', tstInfo,
    '-econtent_type', '1.2.840.113549.1.9.16.1.4', '-signer', join(dir, `${cert}.pem`), '-inkey', join(dir, `${cert}.key`),
    '-certfile', join(dir, 'root.pem'), '-outform', 'DER', '-out', resigned], { stdio: 'pipe' });
  const status = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);
  const content = Buffer.concat([status, readFileSync(resigned)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(content.length), content]);
}

/** Verifies a token over `data` with `openssl ts -verify` (the peer). Returns openssl's output; throws if it fails. */
export function verifyTokenWithOpenssl(tsa: LocalTsa, data: Uint8Array, token: Uint8Array): string {
  const dataPath = join(tsa.dir, `data-${Date.now()}-${Math.random().toString(16).slice(2)}.bin`);
  const tokenPath = `${dataPath}.tst`;
  writeFileSync(dataPath, data);
  writeFileSync(tokenPath, token);
  return execFileSync('openssl', ['ts', '-verify', '-data', dataPath, '-in', tokenPath, '-token_in', '-CAfile', tsa.rootPath,
    '-untrusted', tsa.tsaCertPath], { encoding: 'utf8', stdio: 'pipe' });
}
