/**
 * The registry identity a GPG simple signature names (`docker-reference`), parsed and normalized
 * the way containers/image's `reference.ParseNormalizedNamed` does, so what we sign is what a
 * policy later compares with, and so the lookaside directory is the repository path c/image reads
 * (`reference.Path`: the name without registry, tag or digest).
 * Grammar: distribution/reference (domain, lowercase path components, tag, digest).
 */
import { airsignError } from '../../errors.js';

export interface DockerReference {
  /** Registry host[:port], e.g. "docker.io" or "127.0.0.1:5000". */
  domain: string;
  /** Repository path without the domain, e.g. "library/app" — the lookaside directory. */
  path: string;
  tag?: string;
  digest?: string;
  /** domain/path. */
  name: string;
  /** The full normalized reference: name[:tag][@digest] (what c/image writes when it signs). */
  text: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const ANONYMOUS_ID = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

function invalid(text: string, why: string): never {
  throw airsignError('IDENTITY_INVALID', `--identity ${JSON.stringify(text)} is not a valid image reference: ${why}`, { details: { identity: text } });
}

/** Parses and normalizes `[registry/]repo[:tag][@digest]`; throws IDENTITY_INVALID (input). */
export function parseDockerReference(text: string): DockerReference {
  if (text === '') invalid(text, 'it is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) invalid(text, `bad digest ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) invalid(text, `bad tag ${JSON.stringify(tag)}`);
  }
  if (rest === '') invalid(text, 'no repository name');
  if (ANONYMOUS_ID.test(rest)) invalid(text, 'a 64-digit hex string is an image ID, not a repository name');

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = 'docker.io';
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!DOMAIN.test(domain)) invalid(text, `bad registry ${JSON.stringify(domain)}`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      invalid(text, /[A-Z]/.test(component) ? 'repository names must be lowercase' : `bad path component ${JSON.stringify(component)}`);
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > NAME_MAX) invalid(text, `the name is longer than ${NAME_MAX} characters`);
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    name,
    text: `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`,
  };
}
