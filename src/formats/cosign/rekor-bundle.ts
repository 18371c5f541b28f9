/**
 * The Rekor "bundle" cosign attaches to a signature (`dev.sigstore.cosign/bundle`), checked offline
 * as containers/image checks it (`signature/internal/rekor_set.go`): the SignedEntryTimestamp must be
 * a signature by a trusted Rekor key over the canonical JSON of {body, integratedTime, logID,
 * logIndex}, logID must be that key's ID, and the logged hashedrekord entry must be for this very
 * payload, signature and public key. Returns the time the log integrated the entry (a fact).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { decodePemBlocks } from '../../pem.js';
import { isJsonObject } from '../../json-object.js';

export interface RekorBundleSubject {
  payload: Uint8Array;
  /** The signature annotation's base64 text. */
  signatureBase64: string;
  /** The public key that verified the signature. */
  publicKey: KeyObject;
}

/** Throws verification COSIGN_BUNDLE_INVALID; returns integratedTime (seconds since the epoch). */
export function verifyRekorBundle(bundleJson: string | undefined, rekorKeys: KeyObject[], subject: RekorBundleSubject): number {
  const bad = (message: string): never => {
    throw airsignError('COSIGN_BUNDLE_INVALID', `the Rekor bundle is not valid: ${message}`);
  };
  if (bundleJson === undefined) return bad('the signature has no dev.sigstore.cosign/bundle annotation, and the policy requires a Rekor inclusion proof');
  let bundle: unknown;
  try {
    bundle = JSON.parse(bundleJson);
  } catch {
    return bad('not JSON');
  }
  if (!isJsonObject(bundle) || typeof bundle.SignedEntryTimestamp !== 'string' || !isJsonObject(bundle.Payload)) return bad('SignedEntryTimestamp or Payload is missing');
  const p = bundle.Payload;
  if (typeof p.body !== 'string' || !Number.isSafeInteger(p.integratedTime) || !Number.isSafeInteger(p.logIndex) || typeof p.logID !== 'string') {
    return bad('Payload must hold body, integratedTime, logIndex and logID');
  }
  // Canonical JSON (RFC 8785): keys sorted, no whitespace; integers as written.
  const canonical = `{"body":${JSON.stringify(p.body)},"integratedTime":${p.integratedTime as number},"logID":${JSON.stringify(p.logID)},"logIndex":${p.logIndex as number}}`;
  const set = Buffer.from(bundle.SignedEntryTimestamp, 'base64');
  const rekorKey = rekorKeys.find((key) => {
    try {
      return verify('sha256', Buffer.from(canonical), key, set);
    } catch {
      return false;
    }
  });
  if (rekorKey === undefined) bad('the SignedEntryTimestamp does not verify with the trusted Rekor key(s)');
  const logId = createHash('sha256').update(rekorKey!.export({ format: 'der', type: 'spki' })).digest('hex');
  if (p.logID !== logId) bad(`logID ${p.logID} is not the ID of the Rekor key that signed it (${logId})`);
  let entry: unknown;
  try {
    entry = JSON.parse(Buffer.from(p.body, 'base64').toString('utf8'));
  } catch {
    return bad('the logged entry is not JSON');
  }
  const spec = isJsonObject(entry) && entry.kind === 'hashedrekord' && entry.apiVersion === '0.0.1' && isJsonObject(entry.spec) ? entry.spec : undefined;
  if (spec === undefined) return bad('the logged entry is not a hashedrekord v0.0.1 entry');
  const hash = isJsonObject(spec.data) && isJsonObject(spec.data.hash) ? spec.data.hash : undefined;
  const sig = isJsonObject(spec.signature) ? spec.signature : undefined;
  const pub = sig && isJsonObject(sig.publicKey) ? sig.publicKey : undefined;
  if (hash?.algorithm !== 'sha256' || typeof hash.value !== 'string') return bad('the logged entry has no sha256 hash');
  if (hash.value !== createHash('sha256').update(subject.payload).digest('hex')) bad('the logged entry is for another payload');
  if (typeof sig?.content !== 'string' || !Buffer.from(sig.content, 'base64').equals(Buffer.from(subject.signatureBase64, 'base64'))) {
    bad('the logged entry is for another signature');
  }
  if (typeof pub?.content !== 'string') return bad('the logged entry has no public key');
  const pem = Buffer.from(pub.content, 'base64').toString('utf8');
  const block = decodePemBlocks(pem).find((b) => b.label === 'PUBLIC KEY');
  let logged: KeyObject | undefined;
  try {
    logged = block === undefined ? undefined : createPublicKey({ key: Buffer.from(block.der), format: 'der', type: 'spki' });
  } catch {
    logged = undefined;
  }
  if (logged === undefined || !logged.equals(subject.publicKey)) bad('the logged entry is for another public key');
  return p.integratedTime as number;
}

