/**
 * The user's Notation trust policy (notation's `trustpolicy.oci.json` document, notation-go
 * `verifier/trustpolicy`): parsed and checked as notation checks it, then the statement that applies
 * to a repository picked. Which checks each level enforces, logs or skips lives here too, so the
 * evaluator only asks "what happens to check X under this statement".
 */
import { airsignError } from '../errors.js';
import { goField } from '../go-json.js';
import { isJsonObject, parseJsonObject } from '../json-object.js';
import { parseLdapDn } from '../x509/ldap-dn.js';

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type ValidationType = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type ValidationAction = 'enforce' | 'log' | 'skip';
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

export interface TrustStoreRef {
  type: TrustStoreType;
  name: string;
}

export interface TrustPolicyStatement {
  name: string;
  /** `*` or exact `host/repository` values. */
  registryScopes: string[];
  level: VerificationLevel;
  /** What each check does under this statement (level defaults with overrides applied). */
  actions: Record<ValidationType, ValidationAction>;
  verifyTimestamp: 'always' | 'afterCertExpiry';
  trustStores: TrustStoreRef[];
  /**
   * `'*'`, or the identities as written with, for `x509.subject:` ones, the DN notation reads (a
   * leaf matches when its subject, read the same way, has all of its attributes).
   */
  trustedIdentities: '*' | Array<{ text: string; subject?: NotationDn }>;
}

export interface NotationTrustPolicy {
  statements: TrustPolicyStatement[];
}

const LEVEL_ACTIONS: Record<VerificationLevel, Record<ValidationType, ValidationAction>> = {
  strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
};

const STORE_TYPES: ReadonlySet<string> = new Set(['ca', 'signingAuthority', 'tsa']);
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

/**
 * Parses the bytes of a trust policy file as notation-go reads and validates it (`OCIDocument.Validate`):
 * keys as Go's encoding/json matches struct fields (case-insensitively, the last match winning),
 * then its rules, so a file notation refuses is refused here and a file it accepts is accepted.
 * Throws input TRUST_POLICY_INVALID naming the problem.
 */
export function parseNotationTrustPolicy(bytes: Uint8Array, what = 'the trust policy'): NotationTrustPolicy {
  const bad = (message: string): never => {
    throw airsignError('TRUST_POLICY_INVALID', `${what} is invalid: ${message}`);
  };
  const doc = parseJsonObject(bytes, bad);
  const version = goString(goField(doc, 'version'), 'version', bad);
  if (version === '') bad('the version is empty, it must be "1.0"');
  if (version !== '1.0') bad(`version ${JSON.stringify(version)} is not supported (expected "1.0")`);
  const rawStatements = goArray(goField(doc, 'trustPolicies'), 'trustPolicies', bad);
  if (rawStatements.length === 0) return bad('trustPolicies must be a non-empty array');
  const names = new Set<string>();
  const scopes = new Set<string>();
  const statements = rawStatements.map((raw, i): TrustPolicyStatement => {
    if (raw === null) raw = {};
    if (!isJsonObject(raw)) return bad(`trust policy statement ${i + 1} is not an object`);
    const name = goString(goField(raw, 'name'), `statement ${i + 1}: name`, bad);
    if (name === '') return bad(`trust policy statement ${i + 1} has no name`);
    if (names.has(name)) bad(`multiple trust policy statements use the same name "${name}"`);
    names.add(name);
    const where = `statement "${name}"`;
    const registryScopes = goStrings(goField(raw, 'registryScopes'), `${where}: registryScopes`, bad);
    if (registryScopes.length === 0) bad(`${where}: registryScopes must be a non-empty array of strings`);
    if (registryScopes.includes('*') && registryScopes.length > 1) bad(`${where}: the wildcard scope "*" must be the only scope`);
    for (const scope of registryScopes) {
      if (scope !== '*' && !validScope(scope)) bad(`${where}: registry scope "${scope}" is not a repository like "registry.example/app" (no tag or digest)`);
      if (scopes.has(scope)) bad(`registry scope "${scope}" is used by more than one statement`);
      scopes.add(scope);
    }
    let sv = goField(raw, 'signatureVerification');
    if (sv === null || sv === undefined) sv = {};
    if (!isJsonObject(sv)) return bad(`${where}: signatureVerification must be an object`);
    const level = goString(goField(sv, 'level'), `${where}: level`, bad);
    if (level === '') bad(`${where}: signatureVerification level is empty or missing`);
    if (level !== 'strict' && level !== 'permissive' && level !== 'audit' && level !== 'skip') {
      return bad(`${where}: signatureVerification level ${JSON.stringify(level)} is not strict, permissive, audit or skip`);
    }
    const actions = { ...LEVEL_ACTIONS[level] };
    // A Go map: exact keys; null or {} is no override.
    const override = goField(sv, 'override') ?? {};
    if (!isJsonObject(override)) return bad(`${where}: override must be an object`);
    if (Object.keys(override).length > 0 && level === 'skip') bad(`${where}: the skip level cannot have overrides`);
    for (const [check, action] of Object.entries(override)) {
      if (!['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'].includes(check)) bad(`${where}: unknown validation "${check}" in override`);
      if (typeof action !== 'string' || !['enforce', 'log', 'skip'].includes(action)) bad(`${where}: override ${check} must be enforce, log or skip`);
      if (check === 'integrity') bad(`${where}: integrity validation cannot be overridden`);
      if (check !== 'revocation' && action === 'skip') bad(`${where}: override ${check} must be enforce or log`);
      actions[check as ValidationType] = action as ValidationAction;
    }
    const verifyTimestamp = goString(goField(sv, 'verifyTimestamp'), `${where}: verifyTimestamp`, bad) || 'always';
    if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') bad(`${where}: verifyTimestamp must be "always" or "afterCertExpiry"`);
    const storeTexts = goStrings(goField(raw, 'trustStores'), `${where}: trustStores`, bad);
    const identityTexts = goStrings(goField(raw, 'trustedIdentities'), `${where}: trustedIdentities`, bad);
    if (level === 'skip') {
      if (storeTexts.length > 0) bad(`${where}: the skip level must not list trust stores`);
      if (identityTexts.length > 0) bad(`${where}: the skip level must not list trusted identities`);
      return { name, registryScopes, level, actions, verifyTimestamp: verifyTimestamp as 'always', trustStores: [], trustedIdentities: '*' };
    }
    if (storeTexts.length === 0) bad(`${where}: trustStores must be a non-empty array of strings`);
    if (identityTexts.length === 0) bad(`${where}: trustedIdentities must be a non-empty array of strings`);
    const trustStores = storeTexts.map((text): TrustStoreRef => {
      const colon = text.indexOf(':');
      const type = text.slice(0, colon);
      const storeName = text.slice(colon + 1);
      if (colon < 0 || !STORE_TYPES.has(type) || !STORE_NAME.test(storeName)) bad(`${where}: trust store "${text}" is not "ca:<name>", "signingAuthority:<name>" or "tsa:<name>"`);
      return { type: type as TrustStoreType, name: storeName };
    });
    return { name, registryScopes, level, actions, verifyTimestamp: verifyTimestamp as TrustPolicyStatement['verifyTimestamp'], trustStores, trustedIdentities: trustedIdentitiesOf(identityTexts, where, bad) };
  });
  return { statements };
}

/**
 * notation-go's `validateTrustedIdentities`: `*` alone, or `<prefix>:<value>` texts; `x509.subject`
 * values must be DNs notation accepts (see {@link parseNotationDn}) and no one may be a subset of
 * another ("overlapping"). Identities with another prefix are accepted and never match (notation
 * leaves them to plugins).
 */
function trustedIdentitiesOf(texts: string[], where: string, bad: (message: string) => never): TrustPolicyStatement['trustedIdentities'] {
  if (texts.includes('*')) {
    if (texts.length > 1) bad(`${where}: the wildcard identity "*" must be the only trusted identity`);
    return '*';
  }
  const identities = texts.map((text) => {
    if (text === '') bad(`${where}: has an empty trusted identity`);
    const colon = text.indexOf(':');
    if (colon < 0) bad(`${where}: trusted identity "${text}" has no "<type>:" prefix (e.g. "x509.subject:<DN>")`);
    if (text.slice(0, colon) !== 'x509.subject') return { text };
    const value = text.slice(colon + 1);
    if (value === '') bad(`${where}: trusted identity "${text}" has no value`);
    try {
      return { text, subject: parseNotationDn(value) };
    } catch (e) {
      return bad(`${where}: trusted identity "${text}": ${(e as Error).message}`);
    }
  });
  for (const [i, a] of identities.entries()) {
    for (const [j, b] of identities.entries()) {
      if (i !== j && a.subject !== undefined && b.subject !== undefined && isSubsetDn(a.subject, b.subject)) {
        bad(`${where}: has overlapping x509 trustedIdentities, "${a.text}" overlaps with "${b.text}"`);
      }
    }
  }
  return identities;
}

const SCOPE_DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const SCOPE_REPOSITORY = /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

/** notation-go's `validateRegistryScopeFormat`: `<domain>/<repository>`, no wildcard inside. */
function validScope(scope: string): boolean {
  if (scope.includes('*')) return false;
  const slash = scope.indexOf('/');
  if (slash < 0) return false;
  const domain = scope.slice(0, slash);
  const repository = scope.slice(slash + 1);
  return SCOPE_DOMAIN.test(domain) && SCOPE_REPOSITORY.test(repository);
}

/** A Go `string` field: absent or null is "", anything else than a string is a decoding error. */
function goString(value: unknown, what: string, bad: (message: string) => never): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : bad(`${what} must be a string`);
}

function goArray(value: unknown, what: string, bad: (message: string) => never): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : bad(`${what} must be an array`);
}

/** A Go `[]string` field (null elements decode as ""). */
function goStrings(value: unknown, what: string, bad: (message: string) => never): string[] {
  return goArray(value, what, bad).map((v) => goString(v, what, bad));
}

/**
 * The statement for repository `scope` (`host/repo`, or undefined when the caller named none): an
 * exact scope first, then the wildcard. Throws input VERIFY_NO_TRUST_POLICY when none applies.
 */
export function statementFor(policy: NotationTrustPolicy, scope: string | undefined): TrustPolicyStatement {
  const exact = scope === undefined ? undefined : policy.statements.find((s) => s.registryScopes.includes(scope));
  const found = exact ?? policy.statements.find((s) => s.registryScopes.includes('*'));
  if (found === undefined) {
    throw airsignError('VERIFY_NO_TRUST_POLICY', scope === undefined
      ? 'no trust policy statement has the wildcard scope "*"; name the repository with options.identity <registry/repo> to pick a scoped statement'
      : `no trust policy statement applies to "${scope}" (no statement has that registry scope or "*")`);
  }
  return found;
}

/** A DN as notation-go keeps it: attribute type (as written; `S` read as `ST`) → value. */
export type NotationDn = ReadonlyMap<string, string>;

/**
 * notation-go's `pkix.ParseDistinguishedName`: go-ldap's reading of the text (src/x509/ldap-dn.ts),
 * then: no `=#` anywhere, no multi-valued RDN, no attribute type twice (`S` counts as `ST`; types
 * are compared as written, so `c` is not `C`), and non-empty C, ST and O. Throws an Error.
 */
export function parseNotationDn(text: string): NotationDn {
  if (text.includes('=#')) throw new Error(`unsupported distinguished name "${text}": notation does not support "=#" in x509.subject identities`);
  let rdns;
  try {
    rdns = parseLdapDn(text);
  } catch (e) {
    throw new Error(`"${text}" is not a distinguished name (${(e as Error).message}); it must contain C, ST (or S) and O and follow RFC 4514`, { cause: e });
  }
  const map = new Map<string, string>();
  for (const rdn of rdns) {
    if (rdn.length > 1) throw new Error(`distinguished name "${text}" has a multi-valued RDN, which notation does not support`);
    for (const attribute of rdn) {
      const type = attribute.type === 'S' ? 'ST' : attribute.type;
      if ((map.get(type) ?? '') !== '') throw new Error(`distinguished name "${text}" has the attribute ${type} twice`);
      map.set(type, attribute.value);
    }
  }
  for (const required of ['C', 'ST', 'O']) {
    if ((map.get(required) ?? '') === '') throw new Error(`distinguished name "${text}" must include C, ST and O (attribute types in upper case)`);
  }
  return map;
}

/** notation-go's `IsSubsetDN`: every attribute of `a` has the same value in `b` (absent reads as ""). */
export function isSubsetDn(a: NotationDn, b: NotationDn): boolean {
  for (const [type, value] of a) if ((b.get(type) ?? '') !== value) return false;
  return true;
}

