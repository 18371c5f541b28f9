/**
 * The raw bytes of DER elements inside a constructed one, as they are in the input. Used where
 * the exact encoding matters and a parsed-then-serialized value could differ from it: a
 * certificate's issuer, subject and SubjectPublicKeyInfo are compared as the bytes the issuer
 * signed (Go's RawIssuer, RawSubject, RawSubjectPublicKeyInfo), not as a re-encoding.
 */

/** Thrown for bytes that are not a well-formed definite-length DER element sequence. */
export class DerElementError extends Error {}

/** The element (tag, length and content) that starts at `offset`; its end must lie within `end`. */
function elementAt(bytes: Uint8Array, offset: number, end: number): { start: number; contentStart: number; end: number } {
  let at = offset;
  const tag = bytes[at++];
  if (tag === undefined || at > end) throw new DerElementError(`no element at byte ${offset}`);
  if ((tag & 0x1f) === 0x1f) {
    // A high tag number: base-128 digits, the last without its top bit.
    while (at < end && (bytes[at]! & 0x80) !== 0) at++;
    at++;
  }
  if (at >= end) throw new DerElementError(`element at byte ${offset} ends inside its header`);
  const first = bytes[at++]!;
  let length = first;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new DerElementError(`element at byte ${offset} has an indefinite length`);
    if (count > 4 || at + count > end) throw new DerElementError(`element at byte ${offset} has a malformed length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at++]!;
  }
  if (at + length > end) throw new DerElementError(`element at byte ${offset} runs past its container`);
  return { start: offset, contentStart: at, end: at + length };
}

/**
 * The elements directly inside the single constructed element `der` (a SEQUENCE, say), each a
 * view of `der` with its own tag and length. Throws DerElementError when `der` is not exactly one
 * element or its content is not a sequence of whole elements.
 */
export function derChildren(der: Uint8Array): Uint8Array[] {
  const outer = elementAt(der, 0, der.length);
  if (outer.end !== der.length) throw new DerElementError('bytes after the element');
  const children: Uint8Array[] = [];
  for (let at = outer.contentStart; at < outer.end; ) {
    const child = elementAt(der, at, outer.end);
    children.push(der.subarray(child.start, child.end));
    at = child.end;
  }
  return children;
}
