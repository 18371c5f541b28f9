/**
 * Runs a format's integrity check on one GPG or cosign signature and turns the outcome into facts
 * for the evaluator: a good signature with its signer and payload, or why it is not one. Only
 * verification failures become facts; unusable input still throws.
 */
import type { KeyObject } from 'node:crypto';
import { isAirsignError } from '../errors.js';
import { parseSigstoreAttachmentFile, verifyCosignAttachment, type SigstoreAttachment } from '../formats/cosign/verify-sigstore-attachment.js';
import type { KeyringKey } from '../formats/openpgp/keyring.js';
import { verifyOpenPgpMessage } from '../formats/openpgp/verify-message.js';
import type { SimpleSigningFacts } from './evaluate-simple-signing.js';

export function gpgSignatureFacts(bytes: Uint8Array, name: string, keyring: KeyringKey[], now?: Date): SimpleSigningFacts {
  try {
    const message = verifyOpenPgpMessage(bytes, keyring, now ? { now } : {});
    return { format: 'gpg', signature: name, verified: { signer: message.primaryFingerprint, payload: message.content } };
  } catch (e) {
    if (!isAirsignError(e) || e.kind !== 'verification') throw e;
    return { format: 'gpg', signature: name, integrityFailure: e.message };
  }
}

/**
 * `keyNames[i]` names `keys[i]` in the facts (a file name, "key 2 of the policy"). `source` is a
 * `sigstore-json` signature file, or an attachment already read (a `.sig` manifest layer).
 */
export function cosignSignatureFacts(
  source: Uint8Array | SigstoreAttachment,
  name: string,
  keys: KeyObject[],
  keyNames: string[],
): SimpleSigningFacts & { attachment?: SigstoreAttachment; key?: KeyObject } {
  let attachment: SigstoreAttachment | undefined;
  try {
    attachment = source instanceof Uint8Array ? parseSigstoreAttachmentFile(source) : source;
    const verified = verifyCosignAttachment(attachment, keys);
    return {
      format: 'cosign',
      signature: name,
      verified: { signer: keyNames[verified.keyIndex] ?? `public key ${verified.keyIndex + 1}`, payload: verified.payload },
      attachment,
      key: keys[verified.keyIndex]!,
    };
  } catch (e) {
    if (!isAirsignError(e) || e.kind !== 'verification') throw e;
    return { format: 'cosign', signature: name, integrityFailure: e.message, ...(attachment ? { attachment } : {}) };
  }
}
