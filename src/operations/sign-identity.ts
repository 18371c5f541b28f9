/**
 * The signed identity of a `sign` run and what it implies for the user: the name a layout gives the
 * image, only ever shown as a suggestion when --identity is missing (sign signs the operator's
 * identity, never the layout's), and the exact `oras cp` line for each tag that `oras cp -r` does
 * not carry (cosign `.sig`), aimed at the identity's repository.
 */
import type { PlainDescriptor } from '../descriptor.js';
import { identityFromImageName, parseDockerReference } from '../formats/docker-reference.js';
import type { Layout } from '../layout/open-layout.js';
import { Annotation } from '../media-types.js';

/**
 * The full name the chosen index.json entry gives the image (`io.containerd.image.name`, else a
 * full `org.opencontainers.image.ref.name`), normalized; only this entry's names, never those of
 * another entry with the same digest. A suggestion for the IDENTITY_REQUIRED error, never signed.
 */
export function identitySuggestion(chosen: { annotations?: Record<string, string> }): string | undefined {
  return identityFromImageName(chosen.annotations?.[Annotation.ContainerdImageName]) ?? identityFromImageName(chosen.annotations?.[Annotation.RefName]);
}

/** The identity implied by the image's full name (verify's default; sign never signs it): the chosen entry's, else the one full name its digest has. */
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
