/**
 * The containers `policy.json` (containers-policy.json(5), containers/image `signature/policy_config.go`),
 * the `docker` transport part: the requirement list that applies to an image reference (most
 * specific scope first: the reference, its repository, each parent namespace, `*.domain` wildcards,
 * the transport default, the global default) and the `signedIdentity` rules that say which signed
 * references an image accepts. Key material is named here and read by the caller.
 *
 * The whole file is read as strictly as containers/image reads it (unknown or repeated fields, bad
 * requirements in any transport: the policy is refused). Requirements airsign does not implement
 * (`signedBaseLayer`, `signedBy` with a keyType other than GPGKeys, `sigstoreSigned` with `fulcio`
 * or `pki`) are read and kept as `unimplemented`: they reject the image only in their own scope —
 * containers/image itself rejects every image under the first two.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { airsignError } from '../errors.js';
import { tryParseDockerReference, type DockerReference } from '../formats/docker-reference.js';
import { duplicateJsonKey, isJsonObject, parseJsonObject } from '../json-object.js';
import { transportScopeProblem } from './containers-policy-scopes.js';
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
  | { type: 'sigstoreSigned'; keyPaths: string[]; keyData: Uint8Array[]; rekorPublicKeyPaths: string[]; rekorPublicKeyData: Uint8Array[]; signedIdentity: SignedIdentityRule }
  /** A valid requirement airsign cannot check (`what` names it); it is never satisfied. */
  | { type: 'unimplemented'; what: string; reason: string };

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
  const duplicate = duplicateJsonKey(new TextDecoder().decode(bytes));
  if (duplicate !== undefined) bad(`the key "${duplicate}" appears twice in one object`);
  for (const key of Object.keys(doc)) if (key !== 'default' && key !== 'transports') bad(`unknown field "${key}"`);
  if (doc.default === undefined) bad('"default" is missing');
  const base = dirname(resolve(path));
  const requirements = (value: unknown, where: string): PolicyRequirement[] => {
    if (!Array.isArray(value) || value.length === 0) return bad(`${where} must be a non-empty array of requirements`);
    return value.map((r, i) => parseRequirement(r, `${where}[${i}]`, base, bad));
  };
  const policy: ContainersPolicy = { default: requirements(doc.default, '"default"'), docker: new Map() };
  if (doc.transports !== undefined) {
    if (!isJsonObject(doc.transports)) return bad('"transports" must be an object');
    // Every transport's requirements must be valid (containers/image reads them all); only docker's are used.
    for (const [transport, scopes] of Object.entries(doc.transports)) {
      if (!isJsonObject(scopes)) return bad(`transports.${transport} must be an object`);
      for (const [scope, list] of Object.entries(scopes)) {
        const scopeProblem = transportScopeProblem(transport, scope);
        if (scopeProblem !== undefined) bad(`transports.${transport}["${scope}"]: ${scopeProblem}`);
        const parsed = requirements(list, `transports.${transport}["${scope}"]`);
        if (transport === 'docker') policy.docker.set(scope, parsed);
      }
    }
  }
  return policy;
}

const KEY_TYPES = ['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'];

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
      if (typeof value.keyType !== 'string' || !KEY_TYPES.includes(value.keyType)) bad(`${where}: keyType ${JSON.stringify(value.keyType)} is not one of ${KEY_TYPES.join(', ')}`);
      const keys = keySources(value, ['keyPath', 'keyPaths', 'keyData'], where, base, bad);
      if (keys.count !== 1) bad(`${where}: exactly one of keyPath, keyPaths and keyData is required`);
      const signedIdentity = parseIdentity(value.signedIdentity, `${where}.signedIdentity`, bad);
      if (value.keyType !== 'GPGKeys') {
        return { type: 'unimplemented', what: `signedBy with keyType ${value.keyType}`, reason: 'airsign does not implement it, and containers/image rejects every image under it' };
      }
      return { type: 'signedBy', keyPaths: keys.paths, keyData: keys.data, signedIdentity };
    }
    case 'signedBaseLayer':
      only(['type', 'baseLayerIdentity']);
      if (value.baseLayerIdentity === undefined) bad(`${where}: baseLayerIdentity is required`);
      parseIdentity(value.baseLayerIdentity, `${where}.baseLayerIdentity`, bad);
      return { type: 'unimplemented', what: 'signedBaseLayer', reason: 'airsign does not implement it, and containers/image rejects every image under it' };
    case 'sigstoreSigned': {
      only(['type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki', 'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas', 'signedIdentity']);
      const keys = keySources(value, ['keyPath', 'keyPaths', 'keyData', 'keyDatas'], where, base, bad);
      for (const field of ['fulcio', 'pki'] as const) {
        if (value[field] !== undefined && !isJsonObject(value[field])) bad(`${where}.${field} must be an object`);
      }
      const certificates = (value.fulcio === undefined ? 0 : 1) + (value.pki === undefined ? 0 : 1);
      if (keys.count + certificates !== 1) bad(`${where}: exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki is required`);
      const rekor = keySources(value, ['rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas'], where, base, bad);
      if (rekor.count > 1) bad(`${where}: at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData and rekorPublicKeyDatas may be given`);
      if (value.fulcio !== undefined && rekor.count === 0) bad(`${where}: fulcio needs a Rekor public key`);
      if (value.pki !== undefined && rekor.count > 0) bad(`${where}: pki does not take a Rekor public key`);
      const signedIdentity = parseIdentity(value.signedIdentity, `${where}.signedIdentity`, bad);
      if (certificates > 0) {
        return { type: 'unimplemented', what: `sigstoreSigned with ${value.fulcio !== undefined ? 'fulcio' : 'pki'} certificates`, reason: 'airsign does not check certificate-based sigstore signatures offline yet (use a public key)' };
      }
      return { type: 'sigstoreSigned', keyPaths: keys.paths, keyData: keys.data, rekorPublicKeyPaths: rekor.paths, rekorPublicKeyData: rekor.data, signedIdentity };
    }
    default:
      return bad(`${where}: unknown requirement type "${value.type}"`);
  }
}

/** The key sources among `fields` ([path, paths, data, datas?]): how many were given, the paths (resolved) and the decoded data. */
function keySources(value: Record<string, unknown>, fields: string[], where: string, base: string, bad: (m: string) => never) {
  const [one, many, data, datas] = fields as [string, string, string, string | undefined];
  const paths: string[] = [];
  const decoded: Uint8Array[] = [];
  const base64 = (v: unknown, name: string): Uint8Array => {
    if (typeof v !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) return bad(`${where}.${name} must be base64`);
    return new Uint8Array(Buffer.from(v, 'base64'));
  };
  const list = (v: unknown, name: string): unknown[] => {
    if (!Array.isArray(v)) return bad(`${where}.${name} must be an array`);
    if (v.length === 0) bad(`${where}.${name} contains no entries`);
    return v;
  };
  if (value[one] !== undefined) {
    if (typeof value[one] !== 'string' || value[one] === '') bad(`${where}.${one} must be a path`);
    paths.push(value[one]);
  }
  if (value[many] !== undefined) {
    for (const p of list(value[many], many)) {
      if (typeof p !== 'string' || p === '') bad(`${where}.${many} must hold paths`);
      paths.push(p);
    }
  }
  if (value[data] !== undefined) decoded.push(base64(value[data], data));
  if (datas !== undefined && value[datas] !== undefined) for (const d of list(value[datas], datas)) decoded.push(base64(d, datas));
  return {
    count: fields.filter((f) => value[f] !== undefined).length,
    paths: paths.map((p) => (isAbsolute(p) ? p : resolve(base, p))),
    data: decoded,
  };
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
        if (typeof value[field] !== 'string' || !validRemapPrefix(value[field])) {
          bad(`${where}.${field} must be a registry, or a repository or namespace with its registry (no tag or digest)`);
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

/** A remapIdentity prefix as containers/image validates it: a registry (with port), or a name that starts with one. */
function validRemapPrefix(prefix: string): boolean {
  return /^[a-zA-Z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(prefix);
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

/**
 * remapIdentity (policy_reference_match.go): the prefix is compared with the image's *name* and
 * must be all of it or end at a `/` (a tag or digest is never part of the match); the matching
 * reference is rewritten and must already be in normalised form (ParseNamed). The image is
 * returned unchanged when the prefix does not match; undefined when the rewrite is not a reference.
 */
function remap(image: DockerReference, prefix: string, signedPrefix: string): DockerReference | undefined {
  const name = image.name;
  const matches = name === prefix || (name.length > prefix.length && name.startsWith(prefix) && name[prefix.length] === '/');
  if (!matches) return image;
  const rewrittenText = signedPrefix + image.text.slice(prefix.length);
  const rewritten = tryParseDockerReference(rewrittenText);
  return rewritten !== undefined && rewritten.text === rewrittenText ? rewritten : undefined;
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

