/**
 * validateCertificatePath on certificates OpenSSL (a peer) makes: a root → intermediate → leaf path
 * found from an unordered pool, and each rule that refuses a path.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateCertificatePath } from '../../../src/x509/path-validation.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-path-');

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
function der(name: string): Uint8Array {
  return new Uint8Array(execFileSync('openssl', ['x509', '-in', join(dir, `${name}.pem`), '-outform', 'DER']));
}
function root(name: string, ext = 'basicConstraints=critical,CA:TRUE'): Uint8Array {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '30', '-subj', `/CN=${name}`, '-addext', ext, '-addext', 'keyUsage=critical,keyCertSign']);
  return der(name);
}
function issue(name: string, ca: string, ext: string[], extra: string[] = []): Uint8Array {
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-days', '10', '-extfile', `${name}.ext`,
    '-out', `${name}.pem`, ...(extra.includes('-set_serial') ? [] : ['-CAcreateserial']), ...extra]);
  return der(name);
}

const CA = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'];
const LEAF = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature'];

let certs: Record<string, Uint8Array>;

beforeAll(() => {
  certs = {};
  certs.root = root('root');
  certs.other = root('other');
  certs.strictRoot = root('strictRoot', 'basicConstraints=critical,CA:TRUE,pathlen:0');
  certs.inter = issue('inter', 'root', CA);
  certs.leaf = issue('leaf', 'inter', LEAF);
  certs.notCa = issue('notCa', 'root', LEAF);
  certs.underNotCa = issue('underNotCa', 'notCa', LEAF);
  certs.strictInter = issue('strictInter', 'strictRoot', CA);
  certs.underStrict = issue('underStrict', 'strictInter', LEAF);
  certs.sha1Leaf = issue('sha1Leaf', 'root', LEAF, ['-sha1']);
  certs.negative = issue('negative', 'root', LEAF, ['-set_serial', '-7']);
});

describe('validateCertificatePath', () => {
  it('finds leaf → intermediate → root from an unordered pool', () => {
    const result = validateCertificatePath({ leaf: certs.leaf!, intermediates: [certs.other!, certs.inter!], roots: [certs.other!, certs.root!], at: new Date() });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.path.map((c) => Buffer.from(c).toString('hex'))).toEqual([certs.leaf!, certs.inter!, certs.root!].map((c) => Buffer.from(c).toString('hex')));
      expect(result.certificates.map((c) => c.subject)).toEqual(['CN=leaf', 'CN=inter', 'CN=root']);
    }
    expect(validateCertificatePath({ leaf: certs.root!, roots: [certs.root!], at: new Date() }).ok).toBe(true);
  });

  it.each([
    ['another root', () => ({ leaf: certs.leaf!, intermediates: [certs.inter!], roots: [certs.other!] }), 'NO_PATH_TO_ROOT'],
    ['a missing intermediate', () => ({ leaf: certs.leaf!, roots: [certs.root!] }), 'NO_PATH_TO_ROOT'],
    ['an issuer that is not a CA', () => ({ leaf: certs.underNotCa!, intermediates: [certs.notCa!], roots: [certs.root!] }), 'ISSUER_NOT_CA'],
    ['a path longer than the root allows', () => ({ leaf: certs.underStrict!, intermediates: [certs.strictInter!], roots: [certs.strictRoot!] }), 'ISSUER_NOT_CA'],
    ['a SHA-1 signed leaf', () => ({ leaf: certs.sha1Leaf!, roots: [certs.root!] }), 'WEAK_SIGNATURE'],
    ['a negative serial number', () => ({ leaf: certs.negative!, roots: [certs.root!] }), 'CERT_MALFORMED'],
    ['a time after the leaf expires', () => ({ leaf: certs.leaf!, intermediates: [certs.inter!], roots: [certs.root!], at: new Date(Date.now() + 20 * 86_400_000) }), 'CERT_NOT_VALID'],
    ['garbage', () => ({ leaf: Uint8Array.of(1, 2, 3), roots: [certs.root!] }), 'CERT_MALFORMED'],
  ])('refuses %s', (_name, input, rule) => {
    const result = validateCertificatePath({ at: new Date(), ...input() });
    expect(result).toMatchObject({ ok: false, rule });
    if (!result.ok) expect(result.message).not.toMatch(/\n/);
  });
});
