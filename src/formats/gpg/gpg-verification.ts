/**
 * How `verify` finds and checks GPG simple signatures (the verify side of the gpg format): the
 * `signature-N` files in the lookaside directory named by the identity, checked with the keyring
 * or judged by a containers policy.json's signedBy. The lookaside reader and the checker
 * (verify-gpg-signatures.ts) load on use.
 */
import type { FormatVerification, FoundSignature } from '../signature-verification.js';

export interface FoundFile extends FoundSignature {
  /** The file's path (also its name). */
  name: string;
  bytes: Uint8Array;
}

export const GPG_VERIFICATION: FormatVerification = {
  id: 'gpg',
  trustedBy: 'keyring',
  judgedByPolicy: 'signedBy',
  noneFound: (_accepted, place) => `no GPG signature for ${place.target.digest} as ${place.identity?.name ?? '?'} in the lookaside ${place.lookaside ?? '?'} (no signature-1 there)`,
  async find({ lookaside, identity, target }) {
    if (lookaside === undefined || identity === undefined) return [];
    const { readLookasideSignatures } = await import('./lookaside.js');
    return (await readLookasideSignatures(lookaside, identity, target.digest)).map((file): FoundFile => ({ format: 'gpg', name: file.path, bytes: file.bytes }));
  },
  policyInput(found) {
    const file = found as FoundFile;
    return { format: 'gpg', name: file.name, bytes: file.bytes };
  },
  load: async () => (await import('./verify-gpg-signatures.js')).GPG_CHECKER,
};
