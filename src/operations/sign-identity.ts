/**
 * The signed identity of a `sign` run and what it implies for the user: the default taken from the
 * image's full name when --identity is absent, and the exact `oras cp` line for each tag that
 * `oras cp -r` does not carry (cosign `.sig`), aimed at the identity's repository.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { identityFromImageName, parseDockerReference } from '../formats/docker-reference.js';
import type { Layout } from '../layout/open-layout.js';
import { Annotation } from '../media-types.js';

/** The identity implied by the image's full name: the chosen entry's, else the one full name its digest has. */
export function imageIdentity(layout: Layout, chosen: PlainDescriptor & { annotations?: Record<string, string> }): { reference: string; source: 'image-name' } | undefined {
  const own = identityFromImageName(chosen.annotations?.[Annotation.ContainerdImageName]);
  if (own !== undefined) return { reference: own, source: 'image-name' };
  const names = new Set(layout.index.manifests
    .filter((d) => d.digest === chosen.digest)
    .map((d) => identityFromImageName(d.annotations?.[Annotation.ContainerdImageName]))
    .filter((n): n is string => n !== undefined));
  return names.size === 1 ? { reference: [...names][0]!, source: 'image-name' } : undefined;
}

/** Quotes a shell word when it needs it (the printed command is meant to be pasted). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `oras cp --from-oci-layout <layout>:<tag> <repository>:<tag>`: the copy `oras cp -r` leaves out. */
export function orasCopyCommand(layoutPath: string, tag: string, identity: string | undefined): string {
  const repository = identity === undefined ? '<registry>/<repository>' : parseDockerReference(identity).name;
  return `oras cp --from-oci-layout ${shellWord(`${layoutPath}:${tag}`)} ${shellWord(`${repository}:${tag}`)}`;
}
