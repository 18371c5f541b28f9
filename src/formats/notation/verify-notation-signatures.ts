/**
 * Checks one Notation signature for `verify`: the envelope's integrity check gives facts
 * (verify-envelope.ts); src/verify/evaluate-notation.ts judges them under the trust policy
 * statement, the trust store and the CRLs given (each opened once per run).
 */
import { isAirsignError } from '../../errors.js';
import type { Layout } from '../../layout/open-layout.js';
import { evaluateNotationSignature, type NotationSignatureFacts } from '../../verify/evaluate-notation.js';
import { notationTrustStoreOf, type NotationTrustStore } from '../../verify/notation-trust-store.js';
import type { RevocationList } from '../../x509/crl.js';
import type { CheckContext, SignatureChecker } from '../signature-verification.js';
import { envelopeLayer, type FoundNotation } from './notation-verification.js';
import { verifyNotationEnvelope } from './verify-envelope.js';

const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

/** Reads the envelope and checks its integrity; any failure is a fact, not an error. */
async function notationFacts(layout: Layout, found: FoundNotation): Promise<NotationSignatureFacts> {
  const signature = found.node.descriptor.digest;
  const read = await envelopeLayer(layout, found.node);
  if (!('layer' in read)) return { signature, integrityFailure: read.integrityFailure };
  try {
    const bytes = await layout.readBlob(read.layer, MAX_ENVELOPE_BYTES);
    return { signature, envelope: verifyNotationEnvelope(read.layer.mediaType, bytes) };
  } catch (e) {
    if (!isAirsignError(e)) throw e;
    return { signature, integrityFailure: e.message };
  }
}

export const NOTATION_CHECKER: SignatureChecker = {
  async check(found, context) {
    const facts = await notationFacts(context.layout, found as FoundNotation);
    const store = await context.once('notation trust store', () => trustStoreOf(context));
    const crls = await context.once('notation crls', () => crlsOf(context));
    const verdict = await evaluateNotationSignature(facts, context.target, context.trust.statement!, store, { ...(context.trust.now ? { now: context.trust.now } : {}), crls });
    return { ...verdict, format: found.format };
  },
};

async function trustStoreOf(context: CheckContext): Promise<NotationTrustStore | undefined> {
  const input = context.trust.trustStore;
  return input === undefined ? undefined : notationTrustStoreOf(input);
}

async function crlsOf(context: CheckContext): Promise<RevocationList[]> {
  const crls = context.trust.crls ?? [];
  return crls.length === 0 ? [] : (await import('../../x509/crl-files.js')).readRevocationLists(crls);
}
