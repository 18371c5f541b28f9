/**
 * The check every GPG signature gets right after it is made: our signed messages verify against
 * the key's public key for each key type; another key, a changed payload or a changed signature
 * fail with SIGNATURE_SELF_CHECK_FAILED.
 */
import { describe, expect, it } from 'vitest';
import { openPgpPublicKey } from '../../../src/formats/openpgp/public-key.js';
import { signOpenPgpMessage } from '../../../src/formats/openpgp/sign-message.js';
import { verifyOpenPgpMessage } from '../../../src/formats/openpgp/check-own-message.js';
import type { KeyType } from '../../../src/key-backend.js';
import { generateFileKey } from '../../helpers/pem-test-key.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir('airsign-pgp-verify-');

const TYPES: KeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048', 'ed25519'];

describe('verifyOpenPgpMessage', () => {
  it.each(TYPES)('%s: accepts its own message, refuses tampering and another key', async (type) => {
    const key = await generateFileKey(dir, `k-${type}`, type);
    const other = await generateFileKey(dir, `o-${type}`, type);
    const payload = new TextEncoder().encode('{"critical":{},"optional":{}}');
    const message = await signOpenPgpMessage(key, payload, { timestamp: 1_800_000_000 });
    const publicKey = await openPgpPublicKey(key);
    const spki = await key.publicKeySpki();
    expect(Buffer.from(verifyOpenPgpMessage(message, publicKey, spki)).toString()).toBe('{"critical":{},"optional":{}}');

    const at = Buffer.from(message).indexOf(Buffer.from(payload));
    const changedPayload = Uint8Array.from(message);
    changedPayload[at + 3]! ^= 0x01;
    expect(() => verifyOpenPgpMessage(changedPayload, publicKey, spki)).toThrow(expect.objectContaining({ code: 'SIGNATURE_SELF_CHECK_FAILED', kind: 'key' }));

    const changedSignature = Uint8Array.from(message);
    changedSignature[changedSignature.length - 5]! ^= 0x01;
    expect(() => verifyOpenPgpMessage(changedSignature, publicKey, spki)).toThrow(expect.objectContaining({ code: 'SIGNATURE_SELF_CHECK_FAILED' }));

    // Same key packet claimed, other key's public key: the issuer fingerprint check or the math fails.
    const otherSpki = await other.publicKeySpki();
    const otherPublicKey = await openPgpPublicKey(other);
    expect(() => verifyOpenPgpMessage(message, publicKey, otherSpki)).toThrow(expect.objectContaining({ code: 'SIGNATURE_SELF_CHECK_FAILED' }));
    expect(() => verifyOpenPgpMessage(message, otherPublicKey, otherSpki)).toThrow(expect.objectContaining({ code: 'SIGNATURE_SELF_CHECK_FAILED' }));
    await key.close();
    await other.close();
  });
});
