/**
 * Library errors name the options they concern by field (`options.identity` in the message,
 * `details.option: 'identity'`); the CLI shows its own flags instead. This is the one map from an
 * option field to the flag that sets it, and the renderer the CLI passes every error message through.
 */
import type { OptionField } from '../errors.js';

export const OPTION_FLAGS: Readonly<Record<OptionField, string>> = {
  annotations: '--annotation',
  armor: '--armor',
  as: '--as',
  ca: '--ca',
  days: '--days',
  expiry: '--expiry',
  fingerprints: '--fingerprint',
  force: '--force',
  formats: '--format',
  identity: '--identity',
  import: '--import',
  issuerCert: '--issuer-cert',
  issuerKey: '--issuer-key',
  key: '--key',
  'keyOptions.certificatePath': '--cert',
  'keyOptions.modulePath': '--module',
  'keyOptions.pinFile': '--pin-file',
  keyring: '--keyring',
  keys: '--key',
  lookaside: '--lookaside',
  match: '--match',
  notationManifest: '--notation-manifest',
  output: '--output',
  passwordFile: '--password-file',
  pathLength: '--path-length',
  policy: '--policy',
  recordPath: '--record',
  reference: '--reference',
  replace: '--replace',
  trustPolicy: '--trust-policy',
  trustStore: '--trust-store',
  trailingSpaceIsSecret: '--secret-trailing-space',
  tsaUrl: '--tsa',
  'tsaOptions.rootCertificates': '--tsa-root-cert',
  userId: '--user-id',
};

/** `options.<field>` as the library writes it: a field name, or a dotted path of them. */
const OPTION_REFERENCE = /\boptions\.([A-Za-z]+(?:\.[A-Za-z]+)*)/g;

/** The message with every `options.<field>` the map knows shown as its flag; other text unchanged. */
export function renderOptionFlags(message: string): string {
  return message.replace(OPTION_REFERENCE, (text, field: string) =>
    Object.hasOwn(OPTION_FLAGS, field) ? OPTION_FLAGS[field as OptionField] : text);
}
