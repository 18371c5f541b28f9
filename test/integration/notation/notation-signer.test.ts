/**
 * createNotationEnvelope with file keys (node:crypto) and an OpenSSL-made leaf + root chain: every
 * algorithm in both envelope formats verifies with our verifier and the Python peer; refusals are
 * clear, typed and sign nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createNotationEnvelope, type NotationEnvelopeType, type NotationSignRequest } from '../../../src/formats/notation/notation-signer.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import { decodeCbor, CborTag, type CborValue } from '../../../src/formats/cbor.js';
import { MediaType } from '../../../src/media-types.js';
import { nodeCryptoKeyBackend } from '../../helpers/node-crypto-key-backend.js';
import { createTestPki, generateKey, selfSignedLeaf, type TestPki } from '../../helpers/notation-pki.js';
import { verifyWithPython } from '../../helpers/notation-peer.js';
import { startLocalTsa } from '../../helpers/local-tsa.js';
import { createTsaTimestamper } from '../../../src/timestamp/tsa-client.js';

const TARGET = { mediaType: MediaType.OciManifest, digest: `sha256:${'ab'.repeat(32)}`, size: 1234 };
// Set once the test certificates exist (they are valid from their creation): now, with a fraction
// of a second that must be dropped.
let SIGNED_AT: Date;
let SIGNED_AT_TEXT: string;
let EXPIRY: Date;
let EXPIRY_TEXT: string;
let REQUEST: NotationSignRequest;

type Alg = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';
const EXPECTED: Record<Alg, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', 'RSA-2048': 'PS256', 'RSA-3072': 'PS384', 'RSA-4096': 'PS512' };

let pki: TestPki;
const signers = new Map<Alg, { pem: string; chain: Uint8Array[] }>();
let selfSigned: { keyPem: string; der: Uint8Array; path: string };

async function failure(promise: Promise<unknown>): Promise<{ code?: string; kind?: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    return e as { code?: string; kind?: string; message: string };
  }
  throw new Error('expected a failure');
}

beforeAll(() => {
  pki = createTestPki();
  for (const alg of Object.keys(EXPECTED) as Alg[]) {
    const key = generateKey(pki.dir, alg, alg);
    signers.set(alg, { pem: key.pem, chain: [pki.issue(key.publicPem).der, pki.root.der] });
  }
  const singleKey = generateKey(pki.dir, 'single', 'P-256');
  selfSigned = { keyPem: singleKey.pem, ...selfSignedLeaf(pki.dir, singleKey.path, 'single') };
  SIGNED_AT = new Date(Math.floor(Date.now() / 1000) * 1000 + 678);
  SIGNED_AT_TEXT = SIGNED_AT.toISOString().replace(/\.\d{3}Z$/, 'Z');
  EXPIRY = new Date(Math.floor(SIGNED_AT.getTime() / 1000) * 1000 + 86_400_000);
  EXPIRY_TEXT = EXPIRY.toISOString().replace(/\.\d{3}Z$/, 'Z');
  REQUEST = { target: TARGET, signingTime: SIGNED_AT, signingAgent: 'airsign/0.1.0' };
});

describe('createNotationEnvelope', () => {
  it('signs with every Notation algorithm in JWS and COSE; our verifier and the Python peer accept all', async () => {
    const envelopes: { bytes: Uint8Array; name: string }[] = [];
    for (const [alg, { pem, chain }] of signers) {
      for (const type of ['jws', 'cose'] as NotationEnvelopeType[]) {
        const envelope = await createNotationEnvelope(type, nodeCryptoKeyBackend(pem), chain, REQUEST);
        expect(envelope.algorithm).toBe(EXPECTED[alg]);
        expect(envelope.mediaType).toBe(type === 'jws' ? MediaType.Jws : MediaType.Cose);
        const verified = verifyNotationEnvelope(envelope.mediaType, envelope.bytes);
        expect(verified.payload.targetArtifact).toEqual(TARGET);
        expect(verified.signingTime.toISOString()).toBe(SIGNED_AT_TEXT.replace('Z', '.000Z'));
        expect(verified.chain).toEqual(chain);
        expect(verified.signingAgent).toBe('airsign/0.1.0');
        envelopes.push({ bytes: envelope.bytes, name: `${alg}.${type}` });
      }
    }
    const peer = verifyWithPython(pki.root.path, envelopes, { descriptor: TARGET });
    expect(peer.lines).toEqual(envelopes.map((e) => `OK ${e.name.endsWith('jws') ? 'JWS' : 'COSE'} ${EXPECTED[e.name.split('.')[0] as Alg]}`));
    expect(peer.code).toBe(0);
  });

  it('writes the JWS the way notation-core-go does: member order, sorted compact headers, UTC Z whole seconds', async () => {
    const { pem, chain } = signers.get('P-256')!;
    const envelope = await createNotationEnvelope('jws', nodeCryptoKeyBackend(pem), chain, { ...REQUEST, expiry: EXPIRY });
    const text = new TextDecoder().decode(envelope.bytes);
    const json = JSON.parse(text) as { payload: string; protected: string; header: Record<string, unknown>; signature: string };
    expect(Object.keys(json)).toEqual(['payload', 'protected', 'header', 'signature']);
    expect(Object.keys(json.header)).toEqual(['x5c', 'io.cncf.notary.signingAgent']);
    expect(text).not.toMatch(/\s/);
    expect(Buffer.from(json.protected, 'base64url').toString()).toBe(
      '{"alg":"ES256","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],"cty":"application/vnd.cncf.notary.payload.v1+json",'
      + `"io.cncf.notary.expiry":"${EXPIRY_TEXT}","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"${SIGNED_AT_TEXT}"}`);
    expect(json.payload).not.toContain('=');
    expect(json.header.x5c).toEqual(chain.map((c) => Buffer.from(c).toString('base64')));
    expect(Buffer.from(json.signature, 'base64url')).toHaveLength(64);
    expect(verifyNotationEnvelope(MediaType.Jws, envelope.bytes).expiry).toEqual(EXPIRY);
  });

  it('writes COSE as tagged COSE_Sign1 with deterministic headers, tag 1 times and x5chain as an array', async () => {
    const { pem, chain } = signers.get('RSA-3072')!;
    const envelope = await createNotationEnvelope('cose', nodeCryptoKeyBackend(pem), [chain[0]!, chain[1]!], { ...REQUEST, expiry: EXPIRY });
    expect(Buffer.from(envelope.bytes.subarray(0, 2)).toString('hex')).toBe('d284');
    const message = decodeCbor(envelope.bytes) as CborTag;
    const [protectedBytes, unprotected] = message.value as [Uint8Array, Map<CborValue, CborValue>];
    const header = decodeCbor(protectedBytes) as Map<CborValue, CborValue>;
    expect([...header.keys()]).toEqual([1, 2, 3, 'io.cncf.notary.expiry', 'io.cncf.notary.signingTime', 'io.cncf.notary.signingScheme']);
    expect(header.get(1)).toBe(-38);
    expect(header.get(2)).toEqual(['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']);
    expect(header.get('io.cncf.notary.signingTime')).toEqual(new CborTag(1, Math.floor(SIGNED_AT.getTime() / 1000)));
    expect([...unprotected.keys()]).toEqual([33, 'io.cncf.notary.signingAgent']);
    expect(unprotected.get(33)).toEqual(chain);
    // A one-certificate chain is still an array.
    const single = await createNotationEnvelope('cose', nodeCryptoKeyBackend(selfSigned.keyPem), [selfSigned.der], REQUEST);
    const singleUnprotected = (decodeCbor(single.bytes) as CborTag).value as [Uint8Array, Map<CborValue, CborValue>];
    expect(singleUnprotected[1].get(33)).toEqual([selfSigned.der]);
    expect(verifyWithPython(selfSigned.path, [{ bytes: single.bytes, name: 'single.cose' }]).lines).toEqual(['OK COSE ES256']);
  });

  it('puts user annotations in the payload: sorted in JWS, after size in COSE, as notation-go does', async () => {
    const { pem, chain } = signers.get('P-256')!;
    const annotations = { zeta: '1', alpha: '<&>' };
    const jws = await createNotationEnvelope('jws', nodeCryptoKeyBackend(pem), chain, { ...REQUEST, annotations });
    const cose = await createNotationEnvelope('cose', nodeCryptoKeyBackend(pem), chain, { ...REQUEST, annotations });
    const jwsPayload = Buffer.from((JSON.parse(new TextDecoder().decode(jws.bytes)) as { payload: string }).payload, 'base64url').toString();
    const cosePayload = Buffer.from(((decodeCbor(cose.bytes) as CborTag).value as Uint8Array[])[2]!).toString();
    expect(jwsPayload).toBe(`{"targetArtifact":{"annotations":{"alpha":"\\u003c\\u0026\\u003e","zeta":"1"},"digest":"${TARGET.digest}","mediaType":"${TARGET.mediaType}","size":1234}}`);
    expect(cosePayload).toBe(`{"targetArtifact":{"mediaType":"${TARGET.mediaType}","digest":"${TARGET.digest}","size":1234,"annotations":{"alpha":"\\u003c\\u0026\\u003e","zeta":"1"}}}`);
    for (const e of [jws, cose]) {
      expect(verifyNotationEnvelope(e.mediaType, e.bytes).payload.targetArtifact).toEqual({ ...TARGET, annotations: { alpha: '<&>', zeta: '1' } });
    }
    const peer = verifyWithPython(pki.root.path, [{ bytes: jws.bytes, name: 'a.jws' }, { bytes: cose.bytes, name: 'a.cose' }],
      { descriptor: { ...TARGET, annotations: { alpha: '<&>', zeta: '1' } } });
    expect(peer.code, peer.lines.join('\n')).toBe(0);
  });

  it('asks the timestamper for a token over the raw signature with the algorithm hash and stores it unprotected', async () => {
    const { pem, chain } = signers.get('P-384')!;
    const tsa = await startLocalTsa();
    const stamp = createTsaTimestamper(tsa.url, { rootCertificates: [tsa.rootDer] });
    for (const type of ['jws', 'cose'] as NotationEnvelopeType[]) {
      const calls: { signature: Uint8Array; hash: string; token: Uint8Array }[] = [];
      const envelope = await createNotationEnvelope(type, nodeCryptoKeyBackend(pem), chain, {
        ...REQUEST,
        signingTime: new Date(),
        timestamper: async (signature, hash) => {
          const token = await stamp(signature, hash);
          calls.push({ signature, hash, token });
          return token;
        },
      });
      const verified = verifyNotationEnvelope(envelope.mediaType, envelope.bytes);
      expect(verified.timestampToken).toEqual(calls[0]!.token);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.hash).toBe('sha384');
      const signature = type === 'jws'
        ? new Uint8Array(Buffer.from((JSON.parse(new TextDecoder().decode(envelope.bytes)) as { signature: string }).signature, 'base64url'))
        : ((decodeCbor(envelope.bytes) as CborTag).value as Uint8Array[])[3]!;
      expect(calls[0]!.signature).toEqual(signature);
      if (type === 'jws') {
        const header = (JSON.parse(new TextDecoder().decode(envelope.bytes)) as { header: object }).header;
        expect(Object.keys(header)).toEqual(['io.cncf.notary.timestampSignature', 'x5c', 'io.cncf.notary.signingAgent']);
      }
    }
    // A token that does not cover the signature it is stored with is refused.
    const other = await stamp(new Uint8Array(96), 'sha384');
    await expect(createNotationEnvelope('jws', nodeCryptoKeyBackend(pem), chain, { ...REQUEST, signingTime: new Date(), timestamper: async () => other }))
      .rejects.toMatchObject({ code: 'TSA_IMPRINT_MISMATCH' });
    await tsa.close();
  });
});

describe('createNotationEnvelope checks what it made (sign, then verify)', () => {
  it('refuses an envelope whose signature does not verify: a key that signs other bytes', async () => {
    for (const alg of ['P-256', 'RSA-2048'] as const) {
      const { pem, chain } = signers.get(alg)!;
      const honest = nodeCryptoKeyBackend(pem);
      const liar = { ...honest, sign: (message: Uint8Array, scheme: Parameters<typeof honest.sign>[1]) => honest.sign(Uint8Array.from([...message, 0]), scheme) };
      for (const type of ['jws', 'cose'] as NotationEnvelopeType[]) {
        const error = await failure(createNotationEnvelope(type, liar, chain, REQUEST));
        expect(error).toMatchObject({ code: 'SIGNATURE_SELF_CHECK_FAILED', kind: 'key' });
        expect(error.message).toMatch(/does not verify.*nothing was written/);
      }
    }
  });

  it('left-pads an RSA signature a token returned without its leading zero byte; refuses one longer than the modulus', async () => {
    const { pem, chain } = signers.get('RSA-2048')!;
    const honest = nodeCryptoKeyBackend(pem);
    let stripped = 0;
    const shortening = {
      ...honest,
      // PSS is randomized: sign until the signature starts with 0x00 (1 in 256), then drop that byte, as some tokens do.
      async sign(message: Uint8Array, scheme: Parameters<typeof honest.sign>[1]) {
        for (;;) {
          const signature = await honest.sign(message, scheme);
          if (signature[0] === 0) {
            stripped += 1;
            return signature.subarray(1);
          }
        }
      },
    };
    for (const type of ['jws', 'cose'] as NotationEnvelopeType[]) {
      const envelope = await createNotationEnvelope(type, shortening, chain, REQUEST);
      const signature = type === 'jws'
        ? Buffer.from((JSON.parse(new TextDecoder().decode(envelope.bytes)) as { signature: string }).signature, 'base64url')
        : ((decodeCbor(envelope.bytes) as CborTag).value as Uint8Array[])[3]!;
      expect(signature.length).toBe(256);
      expect(signature[0]).toBe(0);
      expect(verifyNotationEnvelope(envelope.mediaType, envelope.bytes).algorithm).toBe('PS256');
    }
    expect(stripped).toBe(2);
    const lengthening = { ...honest, sign: async (m: Uint8Array, s: Parameters<typeof honest.sign>[1]) => Uint8Array.from([0, ...(await honest.sign(m, s))]) };
    expect(await failure(createNotationEnvelope('jws', lengthening, chain, REQUEST))).toMatchObject({ code: 'KEY_SIGNATURE_LENGTH', kind: 'key' });
  });
});

describe('createNotationEnvelope refuses what Notation would reject', () => {
  async function refusal(options: { alg?: 'P-256' | 'RSA-1024' | 'ED25519'; extensions?: string[]; chain?: (leaf: Uint8Array) => Uint8Array[]; request?: Partial<NotationSignRequest> }) {
    const key = generateKey(pki.dir, `r${Math.random().toString(36).slice(2)}`, options.alg ?? 'P-256');
    const backend = nodeCryptoKeyBackend(key.pem);
    const leaf = options.alg === 'ED25519' ? new Uint8Array() : pki.issue(key.publicPem, options.extensions === undefined ? {} : { extensions: options.extensions }).der;
    const chain = options.chain?.(leaf) ?? [leaf, pki.root.der];
    const error = await failure(createNotationEnvelope('jws', backend, chain, { ...REQUEST, signingTime: new Date(), ...options.request }));
    expect(backend.calls, 'nothing may be signed').toBe(0);
    expect(error.message).not.toMatch(/\n/);
    return error;
  }

  it('an Ed25519 key', async () => {
    const error = await refusal({ alg: 'ED25519' });
    expect([error.kind, error.code]).toEqual(['key', 'NOTATION_KEY_UNSUPPORTED']);
    expect(error.message).toContain('ed25519');
  });

  it('an RSA key of a size Notation does not allow', async () => {
    expect((await refusal({ alg: 'RSA-1024' })).code).toBe('NOTATION_KEY_UNSUPPORTED');
  });

  it('a leaf without keyUsage, with a non-critical one, or one without digitalSignature', async () => {
    for (const extensions of [
      ['extendedKeyUsage=codeSigning'],
      ['keyUsage=digitalSignature', 'extendedKeyUsage=codeSigning'],
      ['keyUsage=critical,nonRepudiation'],
    ]) {
      const error = await refusal({ extensions });
      expect([error.kind, error.code]).toEqual(['key', 'NOTATION_LEAF_KEY_USAGE']);
      expect(error.message).toContain('critical keyUsage extension with digitalSignature');
    }
  });

  it('a leaf with forbidden key usages, a TLS EKU, or CA:TRUE', async () => {
    expect((await refusal({ extensions: ['keyUsage=critical,digitalSignature,keyEncipherment'] })).code).toBe('NOTATION_LEAF_KEY_USAGE');
    expect((await refusal({ extensions: ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'] })).code).toBe('NOTATION_LEAF_EKU');
    expect((await refusal({ extensions: ['keyUsage=critical,digitalSignature', 'basicConstraints=critical,CA:TRUE'] })).code).toBe('NOTATION_LEAF_IS_CA');
  });

  it('a certificate for another key', async () => {
    const other = pki.issue(generateKey(pki.dir, 'other', 'P-256').publicPem).der;
    const error = await refusal({ chain: () => [other, pki.root.der] });
    expect([error.kind, error.code]).toEqual(['key', 'KEY_CERT_MISMATCH']);
  });

  it('no chain, a chain in the wrong order, a chain without its root, and a leaf not valid at the signing time', async () => {
    expect((await refusal({ chain: () => [] })).code).toBe('NOTATION_NO_CERTIFICATE');
    expect((await refusal({ chain: (leaf) => [pki.root.der, leaf] })).code).toBe('NOTATION_CHAIN_ORDER');
    expect((await refusal({ chain: (leaf) => [leaf] })).code).toBe('NOTATION_CHAIN_ORDER');
    const expired = await refusal({ request: { signingTime: new Date('2020-01-01T00:00:00Z') } });
    expect(expired.code).toBe('NOTATION_CERT_NOT_VALID');
  });

  it('an expiry that is not after the signing time', async () => {
    const now = new Date();
    const error = await refusal({ request: { signingTime: now, expiry: now } });
    expect([error.kind, error.code]).toEqual(['input', 'SIGN_BAD_EXPIRY']);
  });
});

describe('tampered envelopes fail with our verifier and the Python peer', () => {
  it('JWS and COSE with a changed payload, header or signature', async () => {
    const { pem, chain } = signers.get('P-256')!;
    const jws = await createNotationEnvelope('jws', nodeCryptoKeyBackend(pem), chain, REQUEST);
    const cose = await createNotationEnvelope('cose', nodeCryptoKeyBackend(pem), chain, REQUEST);
    const jwsJson = JSON.parse(new TextDecoder().decode(jws.bytes)) as Record<string, string>;
    const tamperedJws = [
      { ...jwsJson, payload: Buffer.from(Buffer.from(jwsJson.payload!, 'base64url').toString().replace('1234', '1235')).toString('base64url') },
      { ...jwsJson, protected: Buffer.from(Buffer.from(jwsJson.protected!, 'base64url').toString().replace(SIGNED_AT_TEXT, EXPIRY_TEXT)).toString('base64url') },
    ].map((j) => new TextEncoder().encode(JSON.stringify(j)));
    const flip = (bytes: Uint8Array, index: number) => {
      const copy = bytes.slice();
      copy[index]! ^= 0x01;
      return copy;
    };
    const coseText = Buffer.from(cose.bytes).toString('latin1');
    const tamperedCose = [
      flip(cose.bytes, cose.bytes.length - 1), // signature
      flip(cose.bytes, coseText.indexOf('1234') + 3), // payload size digit
      flip(cose.bytes, coseText.indexOf('notary.x509') + 3), // protected header
    ];
    for (const bytes of tamperedJws) expect((await failure(Promise.resolve().then(() => verifyNotationEnvelope(MediaType.Jws, bytes)))).kind).toBe('verification');
    for (const bytes of tamperedCose) expect((await failure(Promise.resolve().then(() => verifyNotationEnvelope(MediaType.Cose, bytes)))).kind).toBe('verification');
    const peer = verifyWithPython(pki.root.path, [
      ...tamperedJws.map((bytes, i) => ({ bytes, name: `t${i}.jws` })),
      ...tamperedCose.map((bytes, i) => ({ bytes, name: `t${i}.cose` })),
    ]);
    expect(peer.code).toBe(1);
    expect(peer.lines.filter((l) => l.startsWith('FAIL'))).toHaveLength(5);
  });

  it('the Python peer rejects a good envelope against another root and with a different expected descriptor', async () => {
    const { pem, chain } = signers.get('P-256')!;
    const jws = await createNotationEnvelope('jws', nodeCryptoKeyBackend(pem), chain, REQUEST);
    const other = createTestPki();
    expect(verifyWithPython(other.root.path, [{ bytes: jws.bytes, name: 'x.jws' }]).code).toBe(1);
    expect(verifyWithPython(pki.root.path, [{ bytes: jws.bytes, name: 'x.jws' }], { descriptor: { ...TARGET, size: 1 } }).code).toBe(1);
    expect(verifyWithPython(pki.root.path, [{ bytes: jws.bytes, name: 'x.jws' }], { descriptor: TARGET }).code).toBe(0);
  });
});

