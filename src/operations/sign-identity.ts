/**
 * The signed identity of a `sign` run and what it implies for the user: the name a layout gives the
 * image, only ever shown as a suggestion when --identity is missing (sign signs the operator's
 * identity, never the layout's), and the exact `oras cp` line for each tag that `oras cp -r` does
 * not carry (cosign `.sig`), aimed at the identity's repository.
 */
import { identityFromImageName, parseDockerReference } from '../formats/docker-reference.js';
import { Annotation } from '../media-types.js';

/**
 * The full name the chosen index.json entry gives the image (`io.containerd.image.name`, else a
 * full `org.opencontainers.image.ref.name`), normalized; only this entry's names, never those of
 * another entry with the same digest. A suggestion for the IDENTITY_REQUIRED error, never signed.
 */
export function identitySuggestion(chosen: { annotations?: Record<string, string> }): string | undefined {
  return identityFromImageName(chosen.annotations?.[Annotation.ContainerdImageName]) ?? identityFromImageName(chosen.annotations?.[Annotation.RefName]);
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
