/**
 * The user's Notation trust policy (notation's `trustpolicy.oci.json` document, notation-go
 * `verifier/trustpolicy`): parsed and checked as notation checks it, then the statement that applies
 * to a repository picked. Which checks each level enforces, logs or skips lives here too, so the
 * evaluator only asks "what happens to check X under this statement".
 */
import { airsignError } from '../errors.js';
import { isJsonObject, parseJsonObject } from '../json-object.js';

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
  /** `'*'`, or the identities as DN attribute lists (a leaf matches when its subject has all of them). */
  trustedIdentities: '*' | Array<{ text: string; attributes: IdentityAttribute[] }>;
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
const SCOPE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\.[a-z0-9]+(?:[._-][a-z0-9]+)*)*\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Parses the bytes of a trust policy file; throws input TRUST_POLICY_INVALID naming the problem. */
export function parseNotationTrustPolicy(bytes: Uint8Array, what = 'the trust policy'): NotationTrustPolicy {
  const bad = (message: string): never => {
    throw airsignError('TRUST_POLICY_INVALID', `${what} is invalid: ${message}`);
  };
  const doc = parseJsonObject(bytes, bad);
  if (doc.version !== '1.0') bad(`version ${JSON.stringify(doc.version)} is not supported (expected "1.0")`);
  if (!Array.isArray(doc.trustPolicies) || doc.trustPolicies.length === 0) return bad('trustPolicies must be a non-empty array');
  const names = new Set<string>();
  const scopes = new Set<string>();
  const statements = doc.trustPolicies.map((raw, i): TrustPolicyStatement => {
    if (!isJsonObject(raw)) return bad(`trust policy statement ${i + 1} is not an object`);
    const name = raw.name;
    if (typeof name !== 'string' || name.trim() === '') return bad(`trust policy statement ${i + 1} has no name`);
    if (names.has(name)) bad(`multiple trust policy statements use the same name "${name}"`);
    names.add(name);
    const where = `statement "${name}"`;
    const registryScopes = stringList(raw.registryScopes, `${where}: registryScopes`, bad);
    if (registryScopes.includes('*') && registryScopes.length > 1) bad(`${where}: the wildcard scope "*" must be the only scope`);
    for (const scope of registryScopes) {
      if (scope !== '*' && !SCOPE.test(scope)) bad(`${where}: registry scope "${scope}" is not a repository like "registry.example/app" (no tag or digest)`);
      if (scopes.has(scope)) bad(`registry scope "${scope}" is used by more than one statement`);
      scopes.add(scope);
    }
    const sv = raw.signatureVerification;
    if (!isJsonObject(sv)) return bad(`${where}: signatureVerification is missing`);
    const level = sv.level;
    if (level !== 'strict' && level !== 'permissive' && level !== 'audit' && level !== 'skip') {
      return bad(`${where}: signatureVerification level ${JSON.stringify(level)} is not strict, permissive, audit or skip`);
    }
    const actions = { ...LEVEL_ACTIONS[level] };
    if (sv.override !== undefined) {
      if (!isJsonObject(sv.override)) return bad(`${where}: override must be an object`);
      if (level === 'skip') bad(`${where}: the skip level cannot have overrides`);
      for (const [check, action] of Object.entries(sv.override)) {
        if (check === 'integrity') bad(`${where}: integrity validation cannot be overridden`);
        if (!['authenticity', 'authenticTimestamp', 'expiry', 'revocation'].includes(check)) bad(`${where}: unknown validation "${check}" in override`);
        const allowed = check === 'revocation' ? ['enforce', 'log', 'skip'] : ['enforce', 'log'];
        if (typeof action !== 'string' || !allowed.includes(action)) bad(`${where}: override ${check} must be ${allowed.join(' or ')}`);
        actions[check as ValidationType] = action as ValidationAction;
      }
    }
    const verifyTimestamp = sv.verifyTimestamp ?? 'always';
    if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') bad(`${where}: verifyTimestamp must be "always" or "afterCertExpiry"`);
    if (level === 'skip') {
      if (raw.trustStores !== undefined && !(Array.isArray(raw.trustStores) && raw.trustStores.length === 0)) bad(`${where}: the skip level must not list trust stores`);
      if (raw.trustedIdentities !== undefined && !(Array.isArray(raw.trustedIdentities) && raw.trustedIdentities.length === 0)) {
        bad(`${where}: the skip level must not list trusted identities`);
      }
      return { name, registryScopes, level, actions, verifyTimestamp: verifyTimestamp as 'always', trustStores: [], trustedIdentities: '*' };
    }
    const trustStores = stringList(raw.trustStores, `${where}: trustStores`, bad).map((text): TrustStoreRef => {
      const colon = text.indexOf(':');
      const type = text.slice(0, colon);
      const storeName = text.slice(colon + 1);
      if (colon < 0 || !STORE_TYPES.has(type) || !STORE_NAME.test(storeName)) bad(`${where}: trust store "${text}" is not "ca:<name>", "signingAuthority:<name>" or "tsa:<name>"`);
      return { type: type as TrustStoreType, name: storeName };
    });
    const identities = stringList(raw.trustedIdentities, `${where}: trustedIdentities`, bad);
    let trustedIdentities: TrustPolicyStatement['trustedIdentities'];
    if (identities.includes('*')) {
      if (identities.length > 1) bad(`${where}: the wildcard identity "*" must be the only trusted identity`);
      trustedIdentities = '*';
    } else {
      trustedIdentities = identities.map((text) => {
        const colon = text.indexOf(':');
        if (colon < 0 || text.slice(0, colon).trim() !== 'x509.subject') bad(`${where}: trusted identity "${text}" is not "x509.subject:<DN>"`);
        const attributes = parseIdentityDn(text.slice(colon + 1));
        if (attributes === undefined) return bad(`${where}: trusted identity "${text}" has an invalid distinguished name`);
        for (const required of ['C', 'ST', 'O']) {
          if (!attributes.some((a) => a.type === required)) bad(`${where}: trusted identity "${text}" must include C, ST and O`);
        }
        return { text, attributes };
      });
    }
    return { name, registryScopes, level, actions, verifyTimestamp: verifyTimestamp as TrustPolicyStatement['verifyTimestamp'], trustStores, trustedIdentities };
  });
  return { statements };
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
      ? 'no trust policy statement has the wildcard scope "*"; name the repository with --identity <registry/repo> to pick a scoped statement'
      : `no trust policy statement applies to "${scope}" (no statement has that registry scope or "*")`);
  }
  return found;
}

/** One `TYPE=value` of a trusted identity, the type as a short name (C, ST, O, CN, ...). */
export interface IdentityAttribute {
  type: string;
  value: string;
}

const TYPE_ALIASES: Record<string, string> = { S: 'ST', E: 'emailAddress', EMAIL: 'emailAddress', EMAILADDRESS: 'emailAddress', SERIALNUMBER: 'SERIALNUMBER' };

/**
 * A trusted identity's DN as notation reads it (an LDAP DN: `,` or `+` separated `TYPE=value`,
 * RFC 4514 escapes). No value rules: an identity naming a country "USB" is a valid identity that
 * no certificate matches. Undefined when it is not a DN or a type is repeated.
 */
export function parseIdentityDn(text: string): IdentityAttribute[] | undefined {
  const out: IdentityAttribute[] = [];
  let current = '';
  const parts: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1]!;
      i++;
    } else if (c === ',' || c === '+') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const rawType = part.slice(0, eq).trim();
    const type = TYPE_ALIASES[rawType.toUpperCase()] ?? rawType.toUpperCase();
    const value = part.slice(eq + 1).trim().replace(/\\([0-9a-fA-F]{2})|\\(.)/g, (_m, hex: string | undefined, ch: string | undefined) => (hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : ch!));
    if (type === '' || value === '' || out.some((a) => a.type === type)) return undefined;
    out.push({ type, value });
  }
  return out;
}

function stringList(value: unknown, what: string, bad: (message: string) => never): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    return bad(`${what} must be a non-empty array of strings`);
  }
  if (new Set(value).size !== value.length) bad(`${what} has duplicates`);
  return value as string[];
}

