/**
 * Cleartext signed messages (RFC 4880 §7, what `gpg --clearsign` writes and gpgme verifies):
 * armor headers, a blank line, the dash-escaped text, then an armored signature. The signature is a
 * text signature over the text with trailing spaces and tabs cut from every line and CRLF line
 * ends, the last line end excluded. Only the framing is read here; the signature is checked by the
 * caller like any other.
 */
import { airsignError } from '../../errors.js';
import { dearmorIfArmored } from './packet-reader.js';

const BEGIN = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE = '-----BEGIN PGP SIGNATURE-----';

/** Whether `data` is a cleartext signed message (it starts with the BEGIN line). */
export function isCleartextSigned(data: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(data.subarray(0, 64)).replace(/^\s+/, '');
  return head.startsWith(BEGIN);
}

/**
 * The signed text (lines with trailing white space cut, joined by LF: what the signature covers,
 * up to line ends) and the binary signature packets. Throws OPENPGP_MESSAGE_MALFORMED.
 */
export function readCleartextSigned(data: Uint8Array): { content: Uint8Array; signaturePackets: Uint8Array } {
  const malformed = (message: string): never => {
    throw airsignError('OPENPGP_MESSAGE_MALFORMED', `the signature is not a valid cleartext signed message: ${message}`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return malformed('it is not UTF-8 text');
  }
  const lines = text.replace(/^\s+/, '').split(/\r?\n/);
  let at = 1;
  // Armor headers ("Hash: SHA512"), then one empty line.
  while (at < lines.length && lines[at]!.trim() !== '') {
    if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(lines[at]!)) malformed(`line ${at + 1} is not an armor header`);
    at++;
  }
  if (at >= lines.length) malformed('no empty line after the headers');
  at++;
  const signed: string[] = [];
  while (at < lines.length && lines[at]!.trimEnd() !== SIGNATURE) {
    const line = lines[at]!;
    if (line.startsWith('-') && !line.startsWith('- ')) malformed(`line ${at + 1} starts with a dash that is not escaped`);
    signed.push((line.startsWith('- ') ? line.slice(2) : line).replace(/[ \t]+$/, ''));
    at++;
  }
  if (at >= lines.length) malformed('no signature block');
  const signaturePackets = dearmorIfArmored(new TextEncoder().encode(lines.slice(at).join('\n')), 'OPENPGP_MESSAGE_MALFORMED', 'the signature block');
  return { content: new TextEncoder().encode(signed.join('\n')), signaturePackets };
}
