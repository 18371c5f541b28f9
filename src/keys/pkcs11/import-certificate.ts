/** Writes an X.509 certificate onto a token as a CKO_CERTIFICATE object next to its key. */
import type { SecretSources } from '../secret-source.js';
import { X509Certificate } from 'node:crypto';
import { airsignError } from '../../errors.js';
import { asn1Schema, asn1X509 } from '../../x509/asn1-packages.js';
import { pkcs11Error } from './pkcs11-errors.js';
import { openTokenForUri } from './pkcs11-session-manager.js';
import { parsePkcs11Uri, pkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';

const { AsnConvert } = asn1Schema;
const { Certificate } = asn1X509;

export interface ImportCertificateOptions extends SecretSources {
  /** CKA_ID (default: the URI's id). */
  id?: Uint8Array;
  /** CKA_LABEL (default: the URI's object). */
  label?: string;
  /** Replace certificate objects that already have this id (default: fail with PKCS11_OBJECT_EXISTS). */
  replace?: boolean;
  /** File holding the PIN (when the URI has neither pin-value nor pin-source). */
  pinFile?: string;
}

/** Imports `der` onto the token `uri` names; returns the certificate object's URI (no PIN). */
export async function importCertificate(uri: string | Pkcs11Uri, der: Uint8Array, options: ImportCertificateOptions = {}): Promise<string> {
  const parsed = typeof uri === 'string' ? parsePkcs11Uri(uri) : uri;
  const id = options.id ?? parsed.id;
  const label = options.label ?? parsed.object;
  if (id === undefined && label === undefined) {
    throw airsignError('PKCS11_URI_INCOMPLETE', 'give the certificate an id or a label (id=… or object=… in the URI)');
  }
  let subject: Uint8Array;
  let issuer: Uint8Array;
  let serial: Uint8Array;
  try {
    new X509Certificate(der);
    const cert = AsnConvert.parse(der, Certificate);
    subject = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject));
    issuer = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.issuer));
    serial = derInteger(new Uint8Array(cert.tbsCertificate.serialNumber));
  } catch (error) {
    throw airsignError('KEY_CERT_INVALID', 'the certificate to import does not parse as X.509', { cause: error });
  }
  const { module, token } = await openTokenForUri(parsed, options);
  const lib = module.lib;
  const existing = token.findObjects([
    { type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE },
    ...(id !== undefined ? [{ type: lib.CKA_ID, value: Buffer.from(id) }] : [{ type: lib.CKA_LABEL, value: label as string }]),
  ]);
  if (existing.length > 0 && options.replace !== true) {
    throw airsignError('PKCS11_OBJECT_EXISTS', `token "${token.label}" already has a certificate with this ${id !== undefined ? 'id' : 'label'}`);
  }
  try {
    for (const handle of existing) module.p11.C_DestroyObject(token.session(), handle);
    module.p11.C_CreateObject(token.session(), [
      { type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE },
      { type: lib.CKA_CERTIFICATE_TYPE, value: lib.CKC_X_509 },
      { type: lib.CKA_TOKEN, value: true },
      { type: lib.CKA_PRIVATE, value: false },
      { type: lib.CKA_MODIFIABLE, value: true },
      ...(id !== undefined ? [{ type: lib.CKA_ID, value: Buffer.from(id) }] : []),
      ...(label !== undefined ? [{ type: lib.CKA_LABEL, value: label }] : []),
      { type: lib.CKA_SUBJECT, value: Buffer.from(subject) },
      { type: lib.CKA_ISSUER, value: Buffer.from(issuer) },
      { type: lib.CKA_SERIAL_NUMBER, value: Buffer.from(serial) },
      { type: lib.CKA_VALUE, value: Buffer.from(der) },
    ]);
  } catch (error) {
    throw pkcs11Error(error, { operation: 'import certificate', token: token.label });
  }
  return pkcs11Uri({
    token: token.label,
    ...(id === undefined ? {} : { id }),
    ...(label === undefined ? {} : { object: label }),
    type: 'cert',
    modulePath: module.path,
  }).toString();
}

/** DER INTEGER around unsigned big-endian bytes (CKA_SERIAL_NUMBER is the DER encoding). */
function derInteger(value: Uint8Array): Uint8Array {
  const body = value.length > 0 && (value[0] as number) & 0x80 ? [0, ...value] : [...value];
  const len = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return new Uint8Array([0x02, ...len, ...body]);
}
