/**
 * Docker references (`registry/repo[:tag][@digest]`) as distribution/reference parses and
 * normalizes them: the identity cosign and GPG simple signing write into `docker-reference` must be
 * one that containers/image and podman policies can match, so we refuse what they would refuse and
 * write the normalized form (`app:1.4` → `docker.io/library/app:1.4`).
 */
import { airsignError } from '../errors.js';

export interface DockerReference {
  /** Registry host[:port], e.g. `docker.io` or `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/app`. */
  path: string;
  tag?: string;
  digest?: string;
  /** The repository, `domain/path`. */
  name: string;
  /** The normalized reference: `domain/path[:tag][@digest]`. */
  text: string;
  /** True when the text already named its registry (it is a "full name"). */
  hadDomain: boolean;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const MAX_NAME_LENGTH = 255;

// The grammar of distribution/reference (reference/regexp.go).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);
/** A bare image ID, which ParseNormalizedNamed refuses as a name. */
const ANONYMOUS_ID = /^[a-f0-9]{64}$/;

function invalid(text: string, why: string): Error {
  return airsignError('IDENTITY_INVALID', `${JSON.stringify(text)} is not a valid image reference: ${why}`, { details: { reference: text } });
}

/** Splits `name` into domain and path the way distribution's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; path: string; hadDomain: boolean } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  let domain: string;
  let path: string;
  let hadDomain = false;
  if (slash < 0 || (!first.includes('.') && !first.includes(':') && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
    hadDomain = true;
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  return { domain, path, hadDomain };
}

/**
 * Parses and normalizes a docker reference (ParseNormalizedNamed): a missing registry becomes
 * docker.io, a one-component Docker Hub name gets `library/`. Throws IDENTITY_INVALID.
 */
export function parseDockerReference(text: string): DockerReference {
  if (text === '') throw invalid(text, 'it is empty');
  if (/\s/.test(text)) throw invalid(text, 'it contains white space');
  if (ANONYMOUS_ID.test(text)) throw invalid(text, 'it is an image ID (64 hex digits), not a name');
  const slash = text.indexOf('/');
  const first = slash < 0 ? text : text.slice(0, slash);
  // The repository part must be lower case; distribution says so explicitly rather than "invalid".
  const rest = slash < 0 || !(first.includes('.') || first.includes(':') || first === 'localhost') ? text : text.slice(slash + 1);
  const repoPart = rest.split(/[:@]/, 1)[0] ?? '';
  if (repoPart !== repoPart.toLowerCase()) throw invalid(text, 'the repository name must be lower case');
  const match = REFERENCE.exec(text);
  if (!match) {
    if (DOMAIN_ONLY.test(text) && text.includes('.')) throw invalid(text, 'it names a registry but no repository');
    throw invalid(text, 'expected [registry[:port]/]repository[:tag][@digest]');
  }
  const name = match[1]!;
  if (name.length > MAX_NAME_LENGTH) throw invalid(text, `the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  const { domain, path, hadDomain } = splitDomain(name);
  const tag = match[2];
  const digest = match[3];
  const repository = `${domain}/${path}`;
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    name: repository,
    text: `${repository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`,
    hadDomain,
  };
}

/** Parses and normalizes `text` like {@link parseDockerReference}; undefined when it is not a valid reference. */
export function tryParseDockerReference(text: string): DockerReference | undefined {
  try {
    return parseDockerReference(text);
  } catch {
    return undefined;
  }
}

/**
 * The identity written into cosign and GPG payloads (`--identity`): a repository with an optional
 * tag, no digest (the payload carries the digest). Returns the normalized form.
 */
export function normalizeIdentity(text: string): string {
  const ref = parseDockerReference(text);
  if (ref.digest !== undefined) throw invalid(text, 'an identity names a repository and optional tag, not a digest (the signature already carries the digest)');
  return ref.text;
}

/**
 * The identity implied by an image name from the layout (`io.containerd.image.name`), when it is a
 * full name (registry included, no digest, already normalized); otherwise undefined.
 */
export function identityFromImageName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    const ref = parseDockerReference(name);
    if (!ref.hadDomain || ref.digest !== undefined) return undefined;
    return ref.text;
  } catch {
    return undefined;
  }
}
