/**
 * The public keys a verification accepts (`verify --key`, repeatable): each a PEM public key file
 * (what `cosign verify --key` takes; every PUBLIC KEY block in it counts) or a `pkcs11:` URI whose
 * public key is read from the token. Each key keeps a name for reports (the file, or the URI
 * without module path or PIN).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { airsignError } from '../errors.js';
import { parsePublicKeysPem } from './public-key-pem.js';
import { readSmallFile } from '../fs/read-small-file.js';
import { assertNotMistypedPkcs11Uri, isPkcs11Spec } from './key-spec.js';
import type { OpenKeyOptions } from './open-key.js';

export interface VerificationKey {
  name: string;
  key: KeyObject;
}

const MAX_PUBLIC_KEY_FILE = 1024 * 1024;

export async function readVerificationKeys(specs: readonly string[], options: OpenKeyOptions = {}): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  for (const spec of specs) {
    assertNotMistypedPkcs11Uri(spec);
    if (isPkcs11Spec(spec)) {
      const { readPkcs11PublicKey } = await import('./pkcs11/pkcs11-public-key.js');
      const found = await readPkcs11PublicKey(spec, {
        ...options,
        ...(options.onPkcs11Retry === undefined ? {} : { onRetry: options.onPkcs11Retry }),
      });
      keys.push({ name: found.description, key: createPublicKey({ key: Buffer.from(found.spki), format: 'der', type: 'spki' }) });
      continue;
    }
    const bytes = await readSmallFile(spec, { maxBytes: MAX_PUBLIC_KEY_FILE, code: 'INPUT_NOT_FOUND', what: `public key ${spec}` });
    const text = new TextDecoder().decode(bytes);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) && !/-----BEGIN PUBLIC KEY-----/.test(text)) {
      throw airsignError('KEY_PUBLIC_KEY_INVALID', `${spec} is a private key; verification takes the public key (airsign key export, or cosign.pub)`);
    }
    for (const key of parsePublicKeysPem(text, spec)) keys.push({ name: spec, key });
  }
  return keys;
}
