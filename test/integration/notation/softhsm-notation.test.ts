/**
 * Notation envelopes signed on a real SoftHSM2 token (P-256, P-384, RSA-3072 through openKey), with
 * an OpenSSL-issued leaf + root chain, verified by our verifier and the independent Python peer
 * (jwcrypto for JWS, cbor2 + cryptography for COSE, strict PSS salt = hash length). The token's
 * Ed25519 key is refused before anything is signed.
 */
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotationEnvelope, type NotationEnvelopeType } from '../../../src/formats/notation/notation-signer.js';
import { verifyNotationEnvelope } from '../../../src/formats/notation/verify-envelope.js';
import type { KeyBackend } from '../../../src/key-backend.js';
import { openKey } from '../../../src/keys/open-key.js';
import { MediaType } from '../../../src/media-types.js';
import { verifyWithPython } from '../../helpers/notation-peer.js';
import { createTestPki, type TestPki } from '../../helpers/notation-pki.js';
import { createSoftHsm, useSoftHsmInProcess, type SoftHsm } from '../../helpers/softhsm.js';

const TARGET = { mediaType: MediaType.OciIndex, digest: `sha256:${'cd'.repeat(32)}`, size: 777 };
const KEYS = [
  { object: 'ec-p256', alg: 'ES256' },
  { object: 'ec-p384', alg: 'ES384' },
  { object: 'rsa-3072', alg: 'PS384' },
] as const;

let hsm: SoftHsm;
let pki: TestPki;
const opened: KeyBackend[] = [];

function uri(object: string): string {
  return `pkcs11:token=airsign-test;object=${object}?module-path=${hsm.module}&pin-value=${hsm.pin}`;
}

async function open(object: string): Promise<KeyBackend> {
  const key = await openKey(uri(object));
  opened.push(key);
  return key;
}

beforeAll(() => {
  hsm = createSoftHsm();
  useSoftHsmInProcess(hsm);
  pki = createTestPki();
});

afterAll(async () => {
  for (const key of opened) await key.close();
});

describe('Notation envelopes signed on SoftHSM', () => {
  it('P-256, P-384 and RSA-3072 keys in JWS and COSE verify with our verifier and the Python peer', async () => {
    const envelopes: { bytes: Uint8Array; name: string }[] = [];
    const expected: string[] = [];
    for (const { object, alg } of KEYS) {
      const key = await open(object);
      const spkiPem = createPublicKey({ key: Buffer.from(await key.publicKeySpki()), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }) as string;
      const chain = [pki.issue(spkiPem, { name: object }).der, pki.root.der];
      const signingTime = new Date();
      for (const type of ['jws', 'cose'] as NotationEnvelopeType[]) {
        const envelope = await createNotationEnvelope(type, key, chain, { target: TARGET, signingTime, signingAgent: 'airsign/test' });
        expect(envelope.algorithm).toBe(alg);
        const verified = verifyNotationEnvelope(envelope.mediaType, envelope.bytes);
        expect(verified.payload.targetArtifact).toEqual(TARGET);
        expect(verified.chain).toEqual(chain);
        envelopes.push({ bytes: envelope.bytes, name: `${object}.${type}` });
        expected.push(`OK ${type === 'jws' ? 'JWS' : 'COSE'} ${alg}`);
      }
    }
    const peer = verifyWithPython(pki.root.path, envelopes, { descriptor: TARGET });
    expect(peer.lines).toEqual(expected);
    expect(peer.code).toBe(0);

    // The same envelopes, tampered, fail in both verifiers.
    const tampered = envelopes.map(({ bytes, name }) => {
      const copy = bytes.slice();
      if (name.endsWith('.cose')) copy[copy.length - 5]! ^= 0x01;
      else {
        const j = JSON.parse(new TextDecoder().decode(bytes)) as { signature: string };
        const s = Buffer.from(j.signature, 'base64url');
        s[5]! ^= 0x01;
        return { name, bytes: new TextEncoder().encode(JSON.stringify({ ...j, signature: s.toString('base64url') })) };
      }
      return { name, bytes: copy };
    });
    for (const { name, bytes } of tampered) {
      expect(() => verifyNotationEnvelope(name.endsWith('.cose') ? MediaType.Cose : MediaType.Jws, bytes)).toThrow(/signature does not verify/);
    }
    const peerTampered = verifyWithPython(pki.root.path, tampered);
    expect(peerTampered.code).toBe(1);
    expect(peerTampered.lines.every((l) => l.startsWith('FAIL'))).toBe(true);
  });

  it('refuses the token\'s Ed25519 key and a certificate for another token key', async () => {
    const ed = await open('ed25519');
    await expect(createNotationEnvelope('jws', ed, [pki.root.der], { target: TARGET, signingTime: new Date(), signingAgent: 'x' }))
      .rejects.toMatchObject({ kind: 'key', code: 'NOTATION_KEY_UNSUPPORTED' });
    const p256 = await open('ec-p256');
    const p384 = await open('ec-p384');
    const p384Pem = createPublicKey({ key: Buffer.from(await p384.publicKeySpki()), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }) as string;
    const wrong = [pki.issue(p384Pem, { name: 'wrong' }).der, pki.root.der];
    await expect(createNotationEnvelope('cose', p256, wrong, { target: TARGET, signingTime: new Date(), signingAgent: 'x' }))
      .rejects.toMatchObject({ kind: 'key', code: 'KEY_CERT_MISMATCH' });
  });
});
