/**
 * Text from a layout, a certificate or a file name is shown escaped wherever airsign prints it:
 * control characters (C0, DEL, C1 such as the 8-bit CSI), line and paragraph separators and the
 * bidirectional overrides would otherwise let the artifact move the cursor, rewrite what the
 * terminal shows (a digest that was not signed) or add a line of its own. Error messages go
 * through the same rule (errors.ts), so every line a command prints follows it.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- the same, except the line feed between lines
const UNPRINTABLE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One printable line: every control character (line breaks included) as `\n`, `\r`, `\t` or `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}

/**
 * Text of several lines built by airsign (line feeds are its own): every other control character
 * escaped. A last line of defence for the printer; values from the input belong in {@link printable}
 * lines first, so that a line feed inside a value cannot pose as a line.
 */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_BUT_NEWLINE, escapeOne);
}
