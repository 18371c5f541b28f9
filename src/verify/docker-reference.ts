/**
 * Docker image references as containers/image reads them (distribution/reference
 * `ParseNormalizedNamed`): the grammar (lower-case repository paths, optional domain with port, tag,
 * digest), docker.io and library/ normalisation, and the policy's identity-matching rules
 * (containers/image `signature/policy_reference_match.go`) that compare a signed reference with the
 * image's.
 */
import { airsignError } from '../errors.js';

export interface DockerReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  /** `domain/path` */
  name: string;
  /** The normalised full form: `domain/path[:tag][@digest]`. */
  text: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const MAX_NAME = 255;

/** Parses and normalises `text`; undefined when it is not a valid reference. */
export function tryParseDockerReference(text: string): DockerReference | undefined {
  if (ANCHORED_ID.test(text)) return undefined;
  const m = REFERENCE.exec(text);
  if (m === null) return undefined;
  const full = m[1]!;
  if (full.length > MAX_NAME) return undefined;
  const slash = full.indexOf('/');
  let domain: string;
  let path: string;
  const first = slash < 0 ? '' : full.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = 'docker.io';
    path = full;
  } else {
    domain = first;
    path = full.slice(slash + 1);
  }
  // Only the domain may hold upper case; a path must not (the regex already refuses it).
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const name = `${domain}/${path}`;
  const tag = m[2];
  const digest = m[3];
  const text2 = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { domain, path, name, text: text2, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Parses `text`; throws input DOCKER_REFERENCE_INVALID (for references the user gave). */
export function parseDockerReference(text: string, what = 'the image reference'): DockerReference {
  const ref = tryParseDockerReference(text);
  if (ref === undefined) {
    throw airsignError('DOCKER_REFERENCE_INVALID', `${what} "${text}" is not a valid image reference (repository names are lower case, e.g. registry.example/app:1.0)`);
  }
  return ref;
}

/**
 * How a signed reference must relate to the image's (containers/image policy rules):
 * - `equal`: the two normalised references are identical (skopeo standalone-verify);
 * - `matchExact`: the image reference has a tag or digest and both are identical;
 * - `matchRepoDigestOrExact`: a tagged image reference needs identity; a digest-only one, the same repository;
 * - `matchRepository`: the same repository, whatever the tags.
 */
export type ReferenceMatchRule = 'equal' | 'matchExact' | 'matchRepoDigestOrExact' | 'matchRepository';

export function referencesMatch(rule: ReferenceMatchRule, image: DockerReference, signed: DockerReference): boolean {
  switch (rule) {
    case 'equal':
      return image.text === signed.text;
    case 'matchExact':
      return (image.tag !== undefined || image.digest !== undefined) && image.text === signed.text;
    case 'matchRepoDigestOrExact':
      // A tag wins over a digest (containers/image switches on NamedTagged first).
      if (image.tag !== undefined) return image.text === signed.text;
      if (image.digest !== undefined) return image.name === signed.name;
      return false;
    case 'matchRepository':
      return image.name === signed.name;
  }
}
