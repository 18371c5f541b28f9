/**
 * Certificate rules Notation enforces beyond plain X.509, on certificates OpenSSL (a peer) makes:
 * an issuing certificate's keyUsage must be critical, serial numbers must be > 0 (Go 1.23+ will not
 * parse others), and user annotations may not use the io.cncf.notary. prefix.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkNotationChain, keyFailure, validateNotationChain, verificationFailure } from '../../../src/formats/notation/notation-chain.js';
import { checkNotationAnnotations, createNotationEnvelope } from '../../../src/formats/notation/notation-signer.js';
import { MediaType } from '../../../src/media-types.js';
import { CODE_SIGNING_LEAF, generateKey, pemToDer } from '../../helpers/notation-pki.js';
import { cryptoKeyBackend } from '../../helpers/sign-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-cert-rules-');
let leafKey: ReturnType<typeof generateKey>;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A root with the given keyUsage line and a leaf under it with the given serial; returns [leaf, root] DER. */
function chainWith(name: string, rootKeyUsage: string, leafSerial = '4096'): Uint8Array[] {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-root.key`,
    '-out', `${name}-root.pem`, '-days', '30', '-subj', `/C=US/ST=WA/O=T/CN=${name} root`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', rootKeyUsage]);
  writeFileSync(join(dir, `${name}.ext`), `${CODE_SIGNING_LEAF.join('\n')}\n`);
  openssl(['x509', '-new', '-force_pubkey', join(dir, 'leaf.pub'), '-subj', `/C=US/ST=WA/O=T/CN=${name} leaf`,
    '-CA', `${name}-root.pem`, '-CAkey', `${name}-root.key`, '-days', '10', '-extfile', `${name}.ext`,
    '-set_serial', leafSerial, '-out', `${name}-leaf.pem`]);
  return [pemToDer(readFileSync(join(dir, `${name}-leaf.pem`), 'utf8'))[0]!, pemToDer(readFileSync(join(dir, `${name}-root.pem`), 'utf8'))[0]!];
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const { code, details } = e as { code?: string; details?: { rule?: string } };
    return details?.rule === undefined ? String(code) : `${code}/${details.rule}`;
  }
  return 'no error';
}

beforeAll(() => {
  leafKey = generateKey(dir, 'leaf', 'P-256');
  writeFileSync(join(dir, 'leaf.pub'), leafKey.publicPem);
});

describe('Notation certificate rules', () => {
  it('accepts a root whose keyUsage is critical, refuses one whose keyUsage is not (signing and verifying)', () => {
    const good = chainWith('good', 'keyUsage=critical,keyCertSign,cRLSign');
    const spki = pemToDer(leafKey.publicPem.replace(/PUBLIC KEY/g, 'CERTIFICATE'))[0]!;
    expect(validateNotationChain(good, spki)).toBe('ES256');
    const bad = chainWith('soft', 'keyUsage=keyCertSign,cRLSign');
    expect(codeOf(() => validateNotationChain(bad, spki))).toBe('NOTATION_CA_INVALID');
    expect(() => validateNotationChain(bad, spki)).toThrow(/not critical/);
    expect(codeOf(() => checkNotationChain(bad, new Date(), verificationFailure))).toBe('NOTATION_CHAIN_REJECTED/NOTATION_CA_INVALID');
  });

  it.each([['a negative', '-5'], ['a zero', '0']])('refuses a certificate with %s serial number', (_name, serial) => {
    const chain = chainWith(`serial${serial}`, 'keyUsage=critical,keyCertSign,cRLSign', serial);
    expect(codeOf(() => checkNotationChain(chain, new Date(), keyFailure))).toBe('NOTATION_CERT_MALFORMED');
    expect(() => checkNotationChain(chain, new Date(), keyFailure)).toThrow(/negative or zero serial number/);
    expect(codeOf(() => checkNotationChain(chain, new Date(), verificationFailure))).toBe('NOTATION_CHAIN_REJECTED/NOTATION_CERT_MALFORMED');
  });

  it('refuses user annotations in the io.cncf.notary. namespace before anything is signed', async () => {
    expect(() => checkNotationAnnotations({ 'org.example.a': '1', 'io.cncf.notaryx': '2' })).not.toThrow();
    expect(codeOf(() => checkNotationAnnotations({ 'io.cncf.notary.signingTime': 'x' }))).toBe('SIGN_BAD_ANNOTATION');
    const chain = chainWith('ann', 'keyUsage=critical,keyCertSign,cRLSign');
    const key = cryptoKeyBackend(leafKey.path, chain);
    await expect(createNotationEnvelope('jws', key, chain, {
      target: { mediaType: MediaType.OciManifest, digest: `sha256:${'1'.repeat(64)}`, size: 3 },
      annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' },
      signingTime: new Date(),
      signingAgent: 'test',
    })).rejects.toMatchObject({ code: 'SIGN_BAD_ANNOTATION', kind: 'input' });
    expect(key.signCount).toBe(0);
  });
});
