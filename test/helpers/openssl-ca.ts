/**
 * A certificate authority run by OpenSSL (`openssl ca`, a test peer): issues certificates with
 * chosen extensions, revokes them, and writes CRLs with `openssl ca -gencrl`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pemToDer } from './notation-pki.js';

export interface CaCert {
  path: string;
  der: Uint8Array;
}

let serial = 0x2000;

export class OpensslCa {
  readonly cert: CaCert;
  readonly key: string;
  private readonly config: string;

  /** A CA in `dir`, self-signed, or issued by `parent`. `crlUrl` goes into certificates it issues. */
  constructor(readonly dir: string, subject: string, parent?: OpensslCa, private readonly crlUrl?: string, keyAlgorithm: 'ec' | 'rsa' = 'ec') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    this.config = join(dir, 'ca.cnf');
    writeFileSync(this.config, [
      '[ ca ]', 'default_ca = CA_default', '[ CA_default ]', `database = ${join(dir, 'index.txt')}`, `new_certs_dir = ${dir}`,
      `crlnumber = ${join(dir, 'crlnumber')}`, 'default_md = sha256', 'default_crl_days = 7', 'policy = any', '[ any ]', 'commonName = supplied',
      '[ delta ]', '2.5.29.27 = critical,DER:02:01:01', '',
    ].join('\n'));
    this.key = join(dir, 'ca.key');
    openssl(keyAlgorithm === 'rsa'
      ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', this.key]
      : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', this.key]);
    const caExt = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
    this.cert = parent === undefined
      ? selfSigned(dir, this.key, subject, caExt)
      : parent.issueFor(this.key, subject, caExt, `ca-${basename(dir)}`);
  }

  /** A certificate for `keyPath` (a new P-256 key when omitted) named `subject`, with `extensions`. */
  issue(subject: string, extensions: string[], name: string, keyPath?: string): CaCert {
    const key = keyPath ?? join(this.dir, `${name}.key`);
    if (keyPath === undefined) openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    return this.issueFor(key, subject, extensions, name);
  }

  private issueFor(key: string, subject: string, extensions: string[], name: string): CaCert {
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    const out = join(this.dir, `${name}.pem`);
    openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    writeFileSync(ext, `${[...extensions, ...(this.crlUrl === undefined ? [] : [`crlDistributionPoints=URI:${this.crlUrl}`])].join('\n')}\n`);
    openssl(['x509', '-req', '-in', csr, '-CA', this.cert.path, '-CAkey', this.key, '-days', '30', '-extfile', ext, '-set_serial', String(serial++), '-out', out]);
    return { path: out, der: pemToDer(readFileSync(out, 'utf8'))[0]! };
  }

  revoke(cert: CaCert, reason = 'keyCompromise'): void {
    openssl(['ca', '-config', this.config, '-keyfile', this.key, '-cert', this.cert.path, '-revoke', cert.path, '-crl_reason', reason]);
  }

  /**
   * A CRL file (PEM, or DER with `der`). `lastUpdate`/`nextUpdate` as YYYYMMDDHHMMSSZ; `delta` marks it a
   * delta CRL; `md` and `sigopt` (openssl `-sigopt`, e.g. `rsa_padding_mode:pss`) choose how it is signed.
   */
  gencrl(out: string, options: { der?: boolean; lastUpdate?: string; nextUpdate?: string; delta?: boolean; md?: string; sigopt?: string[] } = {}): string {
    const pem = join(this.dir, 'last-crl.pem');
    openssl(['ca', '-config', this.config, '-gencrl', '-keyfile', this.key, '-cert', this.cert.path, '-out', pem,
      ...(options.lastUpdate === undefined ? [] : ['-crl_lastupdate', options.lastUpdate]),
      ...(options.nextUpdate === undefined ? [] : ['-crl_nextupdate', options.nextUpdate]),
      ...(options.delta === true ? ['-crlexts', 'delta'] : []),
      ...(options.md === undefined ? [] : ['-md', options.md]),
      ...(options.sigopt ?? []).flatMap((o) => ['-sigopt', o])]);
    if (options.der === true) openssl(['crl', '-in', pem, '-outform', 'DER', '-out', out]);
    else writeFileSync(out, readFileSync(pem));
    return out;
  }
}

function selfSigned(dir: string, key: string, subject: string, extensions: string[]): CaCert {
  const out = join(dir, 'ca.pem');
  openssl(['req', '-x509', '-new', '-key', key, '-subj', subject, '-days', '30', '-out', out, ...extensions.flatMap((e) => ['-addext', e])]);
  return { path: out, der: pemToDer(readFileSync(out, 'utf8'))[0]! };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}
