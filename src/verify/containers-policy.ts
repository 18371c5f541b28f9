/**
 * The containers `policy.json` (containers-policy.json(5), containers/image `signature/policy_config.go`),
 * the `docker` transport part: the requirement list that applies to an image reference (most
 * specific scope first: the reference, its repository, each parent namespace, `*.domain` wildcards,
 * the transport default, the global default) and the `signedIdentity` rules that say which signed
 * references an image accepts. Key material is named here and read by the caller.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { airsignError } from '../errors.js';
import { tryParseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import { isJsonObject, parseJsonObject } from '../json-object.js';
import { referencesMatch } from './reference-match.js';

export type SignedIdentityRule =
  | { type: 'matchExact' | 'matchRepoDigestOrExact' | 'matchRepository' }
  | { type: 'exactReference'; dockerReference: DockerReference }
  | { type: 'exactRepository'; dockerRepository: DockerReference }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

export type PolicyRequirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  | { type: 'signedBy'; keyPaths: string[]; keyData: Uint8Array[]; signedIdentity: SignedIdentityRule }
  | { type: 'sigstoreSigned'; keyPaths: string[]; keyData: Uint8Array[]; rekorPublicKeyPaths: string[]; rekorPublicKeyData: Uint8Array[]; signedIdentity: SignedIdentityRule };

export interface ContainersPolicy {
  default: PolicyRequirement[];
  /** docker transport scopes → requirements ("" is the transport default). */
  docker: Map<string, PolicyRequirement[]>;
}

/** Parses policy.json bytes; relative key paths are taken from the policy file's directory. Throws input POLICY_INVALID. */
export function parseContainersPolicy(bytes: Uint8Array, path: string): ContainersPolicy {
  const bad = (message: string): never => {
    throw airsignError('POLICY_INVALID', `${path} is not a valid containers policy: ${message}`);
  };
  const doc = parseJsonObject(bytes, bad);
  for (const key of Object.keys(doc)) if (key !== 'default' && key !== 'transports') bad(`unknown field "${key}"`);
  const base = dirname(resolve(path));
  const requirements = (value: unknown, where: string): PolicyRequirement[] => {
    if (!Array.isArray(value) || value.length === 0) return bad(`${where} must be a non-empty array of requirements`);
    return value.map((r, i) => parseRequirement(r, `${where}[${i}]`, base, bad));
  };
  const policy: ContainersPolicy = { default: requirements(doc.default, '"default"'), docker: new Map() };
  if (doc.transports !== undefined) {
    if (!isJsonObject(doc.transports)) return bad('"transports" must be an object');
    const docker = doc.transports.docker;
    if (docker !== undefined) {
      if (!isJsonObject(docker)) return bad('transports.docker must be an object');
      for (const [scope, list] of Object.entries(docker)) {
        if (scope !== '' && !validDockerScope(scope)) bad(`transports.docker scope "${scope}" is not a registry, namespace, repository or reference`);
        policy.docker.set(scope, requirements(list, `transports.docker["${scope}"]`));
      }
    }
  }
  return policy;
}

function parseRequirement(value: unknown, where: string, base: string, bad: (m: string) => never): PolicyRequirement {
  if (!isJsonObject(value) || typeof value.type !== 'string') return bad(`${where} has no "type"`);
  const type = value.type;
  const only = (fields: string[]) => {
    for (const key of Object.keys(value)) if (!fields.includes(key)) bad(`${where} (${type}) has unknown field "${key}"`);
  };
  switch (value.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      only(['type']);
      return { type: value.type };
    case 'signedBy': {
      only(['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity']);
      if (value.keyType !== 'GPGKeys') bad(`${where}: keyType ${JSON.stringify(value.keyType)} is not supported (only "GPGKeys")`);
      const keys = keySources(value, 'keyPath', 'keyPaths', 'keyData', where, base, bad);
      if (keys.keyPaths.length + keys.keyData.length === 0) bad(`${where}: exactly one of keyPath, keyPaths and keyData is required`);
      return { type: 'signedBy', ...keys, signedIdentity: parseIdentity(value.signedIdentity, `${where}.signedIdentity`, bad) };
    }
    case 'sigstoreSigned': {
      only(['type', 'keyPath', 'keyPaths', 'keyData', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'signedIdentity', 'fulcio', 'pki']);
      if (value.fulcio !== undefined || value.pki !== undefined) bad(`${where}: fulcio and pki certificates are not supported offline yet (use a public key)`);
      const keys = keySources(value, 'keyPath', 'keyPaths', 'keyData', where, base, bad);
      if (keys.keyPaths.length + keys.keyData.length === 0) bad(`${where}: one of keyPath, keyPaths and keyData is required`);
      const rekor = keySources(value, 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', where, base, bad);
      return {
        type: 'sigstoreSigned',
        ...keys,
        rekorPublicKeyPaths: rekor.keyPaths,
        rekorPublicKeyData: rekor.keyData,
        signedIdentity: parseIdentity(value.signedIdentity, `${where}.signedIdentity`, bad),
      };
    }
    default:
      return bad(`${where}: unknown requirement type "${value.type}"`);
  }
}

function keySources(value: Record<string, unknown>, one: string, many: string, data: string, where: string, base: string, bad: (m: string) => never) {
  const given = [one, many, data].filter((k) => value[k] !== undefined);
  if (given.length > 1) bad(`${where}: ${given.join(' and ')} cannot be used together`);
  const keyPaths: string[] = [];
  const keyData: Uint8Array[] = [];
  if (value[one] !== undefined) {
    if (typeof value[one] !== 'string' || value[one] === '') bad(`${where}.${one} must be a path`);
    keyPaths.push(value[one]);
  }
  if (value[many] !== undefined) {
    if (!Array.isArray(value[many]) || value[many].length === 0 || !value[many].every((p: unknown) => typeof p === 'string' && p !== '')) bad(`${where}.${many} must be a non-empty array of paths`);
    keyPaths.push(...(value[many] as string[]));
  }
  if (value[data] !== undefined) {
    if (typeof value[data] !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value[data])) bad(`${where}.${data} must be base64`);
    keyData.push(new Uint8Array(Buffer.from(value[data], 'base64')));
  }
  return { keyPaths: keyPaths.map((p) => (isAbsolute(p) ? p : resolve(base, p))), keyData };
}

function parseIdentity(value: unknown, where: string, bad: (m: string) => never): SignedIdentityRule {
  if (value === undefined) return { type: 'matchRepoDigestOrExact' };
  if (!isJsonObject(value) || typeof value.type !== 'string') return bad(`${where} has no "type"`);
  const type = value.type;
  const only = (fields: string[]) => {
    for (const key of Object.keys(value)) if (!fields.includes(key)) bad(`${where} (${type}) has unknown field "${key}"`);
  };
  switch (value.type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      only(['type']);
      return { type: value.type };
    case 'exactReference': {
      only(['type', 'dockerReference']);
      const ref = typeof value.dockerReference === 'string' ? tryParseDockerReference(value.dockerReference) : undefined;
      if (ref === undefined || (ref.tag === undefined && ref.digest === undefined)) return bad(`${where}.dockerReference must be a reference with a tag or digest`);
      return { type: 'exactReference', dockerReference: ref };
    }
    case 'exactRepository': {
      only(['type', 'dockerRepository']);
      const ref = typeof value.dockerRepository === 'string' ? tryParseDockerReference(value.dockerRepository) : undefined;
      if (ref === undefined || ref.tag !== undefined || ref.digest !== undefined) return bad(`${where}.dockerRepository must be a repository without tag or digest`);
      return { type: 'exactRepository', dockerRepository: ref };
    }
    case 'remapIdentity': {
      only(['type', 'prefix', 'signedPrefix']);
      for (const field of ['prefix', 'signedPrefix'] as const) {
        if (typeof value[field] !== 'string' || !validDockerScope(value[field]) || (value[field]).includes('*')) {
          bad(`${where}.${field} must be a registry, namespace or repository`);
        }
      }
      return { type: 'remapIdentity', prefix: value.prefix as string, signedPrefix: value.signedPrefix as string };
    }
    default:
      return bad(`${where}: unknown signedIdentity type "${value.type}"`);
  }
}

/** The requirements for `image` (most specific scope first), and the scope that matched. */
export function requirementsFor(policy: ContainersPolicy, image: DockerReference): { scope: string; requirements: PolicyRequirement[] } {
  for (const scope of scopesOf(image)) {
    const found = policy.docker.get(scope);
    if (found !== undefined) return { scope, requirements: found };
  }
  const transportDefault = policy.docker.get('');
  if (transportDefault !== undefined) return { scope: 'docker ""', requirements: transportDefault };
  return { scope: 'default', requirements: policy.default };
}

/** containers/image docker transport: the reference, the repository, parent namespaces, then `*.` wildcards of the host. */
function scopesOf(image: DockerReference): string[] {
  const scopes = [image.text];
  const parts = image.name.split('/');
  for (let n = parts.length; n >= 1; n--) scopes.push(parts.slice(0, n).join('/'));
  const host = image.domain.replace(/:\d+$/, '');
  const labels = host.split('.');
  for (let i = 1; i < labels.length; i++) scopes.push(`*.${labels.slice(i).join('.')}`);
  return [...new Set(scopes)];
}

/** A registry (with port), namespace, repository or reference, or a `*.domain` wildcard (loosely, as written). */
function validDockerScope(scope: string): boolean {
  if (scope.startsWith('*.')) return /^\*\.[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/.test(scope);
  return /^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@[a-z0-9]+:[a-f0-9]+)?$/.test(scope);
}

/** Whether a signature naming `signed` satisfies `rule` for `image` (containers/image policy_reference_match.go). */
export function identityMatches(rule: SignedIdentityRule, image: DockerReference, signed: DockerReference): boolean {
  switch (rule.type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      return referencesMatch(rule.type, image, signed);
    case 'exactReference':
      return signed.text === rule.dockerReference.text;
    case 'exactRepository':
      return signed.name === rule.dockerRepository.name;
    case 'remapIdentity': {
      const remapped = remap(image, rule.prefix, rule.signedPrefix);
      return remapped !== undefined && referencesMatch('matchRepoDigestOrExact', remapped, signed);
    }
  }
}

function remap(image: DockerReference, prefix: string, signedPrefix: string): DockerReference | undefined {
  const text = image.text;
  const matches = text.length === prefix.length ? text === prefix
    : text.length > prefix.length && text.startsWith(prefix) && [':', '/', '@'].includes(text[prefix.length]!);
  if (!matches) return image;
  const rewritten = tryParseDockerReference(signedPrefix + text.slice(prefix.length));
  // ParseNamed: the rewritten reference must already be in normalised form.
  return rewritten !== undefined && rewritten.text === signedPrefix + text.slice(prefix.length) ? rewritten : undefined;
}

export function describeIdentityRule(rule: SignedIdentityRule): string {
  switch (rule.type) {
    case 'exactReference':
      return `exactReference ${rule.dockerReference.text}`;
    case 'exactRepository':
      return `exactRepository ${rule.dockerRepository.name}`;
    case 'remapIdentity':
      return `remapIdentity ${rule.prefix} → ${rule.signedPrefix}`;
    default:
      return rule.type;
  }
}

