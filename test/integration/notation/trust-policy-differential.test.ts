/**
 * Differential suite: every trust policy file of notation's e2e suite (notaryproject/notation@2a55855
 * test/e2e/testdata/config/trustpolicies/, copied to test/fixtures/notation/trustpolicies/) with the
 * verdict notation's e2e tests (test/e2e/suite/trustpolicy/*.go, suite/command/policy.go) expect when
 * notation loads it: refused as an invalid policy (with the words notation prints), or accepted
 * (the verification then proceeds). Prints the count of cases and agreements.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNotationTrustPolicy } from '../../../src/verify/notation-trust-policy.js';

const dir = new URL('../../fixtures/notation/trustpolicies/', import.meta.url);

/** File → notation's verdict on loading it ('accepted', or the refusal it reports). */
const NOTATION: Record<string, string> = {
  'any_registry_scope_trust_policy.json': 'accepted',
  'audit_trustpolicy.json': 'accepted',
  'empty_registry_scope_trustpolicy.json': 'refused: has zero registry scopes',
  'empty_trusted_identity_trustpolicy.json': 'refused: has an empty trusted identity',
  'generate_test_trustpolicy.json': 'accepted',
  'invalid_format_trustpolicy.json': 'refused: failed to parse OCI trust policy configuration',
  'invalid_registry_scope_trustpolicy.json': 'accepted', // fails later: no statement applies to the artifact's repository
  'invalid_trust_store_trustpolicy.json': 'accepted', // fails later: the named store does not exist
  'invalid_trusted_identity_trustpolicy.json': 'accepted', // fails later: the identity does not match
  'malformed_registry_scope_trustpolicy.json': 'refused: registry scope is not valid',
  'malformed_trust_store_trustpolicy.json': 'refused: unsupported trust store name ""',
  'malformed_trusted_identity_trustpolicy.json': 'refused: trusted identity missing separator',
  'missing_country_trusted_identity_trustpolicy.json': 'refused: no mandatory RDN attribute for "C"',
  'missing_organization_trusted_identity_trustpolicy.json': 'refused: no mandatory RDN attribute for "O"',
  'missing_state_trusted_identity_trustpolicy.json': 'refused: no mandatory RDN attribute for "ST"',
  'multi_statements_with_multi_wildcard_registry_scope_trustpolicy.json': 'refused: registry scope "*" is present in multiple statements',
  'multi_statements_with_the_same_name_trustpolicy.json': 'refused: multiple statements use the same name',
  'multi_statements_with_the_same_registry_scope_trustpolicy.json': 'refused: registry scope is present in multiple statements',
  'multi_statements_with_wildcard_registry_scope_trustpolicy.json': 'accepted',
  'multiple_registry_scope_trustpolicy.json': 'accepted',
  'multiple_trust_store_trustpolicy.json': 'accepted',
  'multiple_trusted_identity_trustpolicy.json': 'accepted',
  'overlapped_registry_scope_trustpolicy.json': 'refused: registry scope is present in multiple statements',
  'overlapped_trust_store_trustpolicy.json': 'accepted',
  'overlapped_trusted_identity_trustpolicy.json': 'refused: has overlapping x509 trustedIdentities',
  'override_audit_trustpolicy.json': 'accepted',
  'override_integrity_for_permissive_trustpolicy.json': 'refused: integrity verification can not be overridden',
  'override_permissive_trustpolicy.json': 'accepted',
  'override_strict_trustpolicy.json': 'accepted',
  'permissive_trustpolicy.json': 'accepted',
  'quickstart_trustpolicy.json': 'accepted',
  'registry_scope_trustpolicy.json': 'accepted',
  'skip_trustpolicy.json': 'accepted',
  'timestamp_after_cert_expiry_trustpolicy.json': 'accepted',
  'timestamp_trustpolicy.json': 'accepted',
  'trustpolicy.json': 'accepted',
  'unset_trust_store_trustpolicy.json': 'refused: missing trust stores or trusted identities',
  'unset_trusted_identity_trustpolicy.json': 'refused: missing trust stores or trusted identities',
  'valid_trusted_identity_trustpolicy.json': 'accepted',
  'wildcard_plus_other_registry_scope_trustpolicy.json': 'refused: a wildcard scope cannot be used with other scopes',
  'wildcard_plus_other_trusted_identity_trustpolicy.json': 'refused: a wildcard identity cannot be used with other values',
  'wildcard_trust_store_trustpolicy.json': 'refused: malformed trust store value "*"',
};

function ours(file: string): string {
  try {
    parseNotationTrustPolicy(new Uint8Array(readFileSync(new URL(file, dir))), file);
    return 'accepted';
  } catch (e) {
    return `refused (${(e as { code?: string }).code}): ${(e as Error).message}`;
  }
}

describe('notation e2e trust policy files: airsign reaches notation\'s verdict', () => {
  const files = Object.keys(NOTATION);
  const results = files.map((file) => ({ file, notation: NOTATION[file]!, ours: ours(file) }));
  const agree = (r: (typeof results)[number]) => (r.notation === 'accepted') === (r.ours === 'accepted')
    && (r.ours === 'accepted' || r.ours.startsWith('refused (TRUST_POLICY_INVALID)'));

  it.each(results)('$file', (r) => {
    expect(agree(r), `notation: ${r.notation}; airsign: ${r.ours}`).toBe(true);
  });

  it('counts cases and agreements', () => {
    const agreements = results.filter(agree).length;
    console.log(`notation e2e trust-policy differential: ${results.length} cases, ${agreements} agreements`);
    expect(results.length).toBe(42);
    expect(agreements).toBe(results.length);
  });
});
