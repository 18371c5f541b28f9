/**
 * containers/image's identity-matching rules (`signature/policy_reference_match.go`): how a signed
 * docker reference must relate to the image's. The references are parsed by the one docker
 * reference parser, src/formats/docker-reference.ts.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { parseDockerReference, type DockerReference } from '../formats/docker-reference.js';

/**
 * How a signed reference must relate to the image's (containers/image policy rules):
 * - `equal`: the two normalised references are identical (skopeo standalone-verify);
 * - `matchExact`: the image reference has a tag or digest and both are identical;
 * - `matchRepoDigestOrExact`: a tagged image reference needs identity; a digest-only one, the same
 *   repository; a signed reference without tag or digest never matches;
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
      // The signed reference must be exact (containers/image: IsNameOnly(signature) → false).
      if (signed.tag === undefined && signed.digest === undefined) return false;
      // A tag wins over a digest (containers/image switches on NamedTagged first).
      if (image.tag !== undefined) return image.text === signed.text;
      if (image.digest !== undefined) return image.name === signed.name;
      return false;
    case 'matchRepository':
      return image.name === signed.name;
  }
}

/**
 * The image reference signatures are matched against: the identity, or, when it names neither tag
 * nor digest, the repository at the image digest (so matchRepoDigestOrExact asks for the repository).
 */
export function imageReference(identity: DockerReference, target: PlainDescriptor): DockerReference {
  return identity.tag !== undefined || identity.digest !== undefined ? identity : parseDockerReference(`${identity.name}@${target.digest}`);
}
