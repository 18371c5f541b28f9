/**
 * A real RFC 3161 TSA for tests: a node:http server on 127.0.0.1 that answers each
 * `application/timestamp-query` by running `openssl ts -reply` (a peer we did not write) with a
 * freshly made TSA root + TSA certificate (EKU timeStamping, critical).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TsaMode = 'ok' | 'http-500' | 'wrong-content-type' | 'garbage' | 'replay-first' | 'rejection';

export interface LocalTsa {
  url: string;
  dir: string;
  /** PEM of the TSA root (CAfile for `openssl ts -verify`). */
  rootPem: string;
  rootPath: string;
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
  writeFileSync(join(dir, 'ts.cnf'), [
    '[tsa]', 'default_tsa = tsa_config1', '[tsa_config1]', `dir = ${dir}`, 'serial = $dir/tsaserial', 'crypto_device = builtin',
    'signer_cert = $dir/tsa.pem', 'certs = $dir/root.pem', 'signer_key = $dir/tsa.key', 'signer_digest = sha256',
    'default_policy = 1.2.3.4.1', 'other_policies = 1.2.3.4.5', 'digests = sha256, sha384, sha512', 'accuracy = secs:1',
    'ordering = no', 'tsa_name = yes', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
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
      try {
        execFileSync('openssl', ['ts', '-reply', '-config', join(dir, 'ts.cnf'), '-queryfile', query, '-out', reply], { stdio: 'pipe' });
      } catch (e) {
        res.writeHead(500).end(String(e));
        return;
      }
      const body = readFileSync(reply);
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

/** Verifies a token over `data` with `openssl ts -verify` (the peer). Returns openssl's output; throws if it fails. */
export function verifyTokenWithOpenssl(tsa: LocalTsa, data: Uint8Array, token: Uint8Array): string {
  const dataPath = join(tsa.dir, `data-${Date.now()}-${Math.random().toString(16).slice(2)}.bin`);
  const tokenPath = `${dataPath}.tst`;
  writeFileSync(dataPath, data);
  writeFileSync(tokenPath, token);
  return execFileSync('openssl', ['ts', '-verify', '-data', dataPath, '-in', tokenPath, '-token_in', '-CAfile', tsa.rootPath,
    '-untrusted', tsa.tsaCertPath], { encoding: 'utf8', stdio: 'pipe' });
}
