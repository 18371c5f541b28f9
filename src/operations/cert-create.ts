/**
 * `airsign cert create` as a library operation: open the subject (and issuer) key, build and sign
 * the certificate, optionally put it on the token next to a PKCS#11 key, write PEM atomically.
 */
import { existsSync } from 'node:fs';
import { airsignError } from '../errors.js';
import { refuseOverwritingInputs } from '../fs/distinct-files.js';
import { keyInputFiles } from '../keys/key-input-files.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { checkOutputTarget } from '../fs/output-target.js';
import { readSmallFile } from '../fs/read-small-file.js';
import type { KeyBackend } from '../key-backend.js';
import { isPkcs11Spec, openKey } from '../keys/open-key.js';
import type { OpenKeyOptions } from '../keys/open-key.js';
import { importCertificate } from '../keys/pkcs11/import-certificate.js';
import { Pkcs11KeyBackend } from '../keys/pkcs11/pkcs11-key.js';
import { buildCertificate } from '../x509/build-certificate.js';
import { parseCertificate } from '../x509/certificate-info.js';
import { decodePemCertificates, encodePem } from '../pem.js';
import { signatureAlgorithmName } from '../x509/signature-algorithm.js';
import { secretSourcesOf } from '../keys/secret-source.js';

/** Options of createCertificateFile (the key it certifies is the first argument). */
export interface CertCreateOptions {
  /** Subject DN, e.g. "C=US,ST=WA,O=Acme,CN=release". */
  subject: string;
  /** Issuer key spec and PEM certificate path; both or neither (self-signed). */
  issuerKey?: string;
  issuerCert?: string;
  days?: number;
  ca?: boolean;
  pathLength?: number;
  /** Write the certificate onto the token next to the (pkcs11:) key. */
  import?: boolean;
  /** With import: replace a certificate object already there for the key. */
  replace?: boolean;
  /** PEM output path. */
  output: string;
  /** Replace an existing output file (default: refuse, OUTPUT_EXISTS). Never one of the inputs (the key files). */
  force?: boolean;
  /** How to open the subject key (passphrase/PIN files, env, prompting). */
  keyOptions?: Omit<OpenKeyOptions, 'certificatePath'>;
  /** How to open the issuer key (defaults to keyOptions). */
  issuerKeyOptions?: Omit<OpenKeyOptions, 'certificatePath'>;
  now?: Date;
}

export interface CertCreateResult {
  output: string;
  subject: string;
  issuer: string;
  selfSigned: boolean;
  ca: boolean;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  signatureAlgorithm: string;
  sha256Thumbprint: string;
  /** Key type of the certified key. */
  keyType: string;
  /** Things that will not stop the certificate being written but may stop Notation using it. */
  warnings: string[];
  /** The certificate object's URI when --import wrote it onto the token. */
  imported?: string;
}

/** Notation's rules for a leaf (notation.md §2) that a valid X.509 certificate can still miss. */
function notationWarnings(keyType: string, subjectTypes: string[], ca: boolean): string[] {
  if (ca) return [];
  const warnings: string[] = [];
  if (keyType === 'ed25519') warnings.push('Notation does not accept Ed25519 signing keys; use this certificate for other tools or pick an ECDSA/RSA key');
  const missing = ['C', 'ST', 'O'].filter((t) => !subjectTypes.includes(t));
  if (missing.length > 0) {
    warnings.push(`the subject lacks ${missing.join(', ')}; Notation trust policies that list trustedIdentities (not "*") need C, ST and O`);
  }
  return warnings;
}

/**
 * Makes an X.509 certificate for `keySpec` (a key file or `pkcs11:` URI): self-signed, or issued
 * by `issuerKey` + `issuerCert`; optionally puts it on the token next to the key; writes PEM to
 * `options.output` atomically.
 */
export async function createCertificateFile(keySpec: string, options: CertCreateOptions): Promise<CertCreateResult> {
  if ((options.issuerKey === undefined) !== (options.issuerCert === undefined)) {
    throw airsignError('CERT_ISSUER_INCOMPLETE', 'options.issuerKey and options.issuerCert go together (omit both for a self-signed certificate)', {
      details: { option: options.issuerKey === undefined ? 'issuerKey' : 'issuerCert' },
    });
  }
  if (options.import === true && !isPkcs11Spec(keySpec)) {
    throw airsignError('CERT_IMPORT_NEEDS_PKCS11', 'options.import writes the certificate onto a token, so the key must be a pkcs11: URI', { details: { option: 'import' } });
  }
  if (options.pathLength !== undefined) {
    if (options.ca !== true) throw airsignError('CERT_PATH_LENGTH_INVALID', 'options.pathLength only applies to a CA certificate (add options.ca)', { details: { option: 'pathLength' } });
    if (!Number.isSafeInteger(options.pathLength) || options.pathLength < 0) {
      throw airsignError('CERT_PATH_LENGTH_INVALID', `options.pathLength must be a whole number >= 0, got ${String(options.pathLength)}`, {
        details: { option: 'pathLength', value: String(options.pathLength) },
      });
    }
  }
  if (options.replace === true && options.import !== true) {
    throw airsignError('USAGE', 'options.replace only applies with options.import', { details: { option: 'replace' } });
  }
  await checkOutputTarget(options.output);
  await refuseOverwritingInputs([{ path: options.output, what: 'options.output' }], [
    ...keyInputFiles(keySpec, options.keyOptions ?? {}),
    ...keyInputFiles(options.issuerKey, options.issuerKeyOptions ?? {}, 'the issuer key'),
    ...(options.issuerCert === undefined ? [] : [{ path: options.issuerCert, what: 'options.issuerCert' }]),
  ]);
  if (options.force !== true && existsSync(options.output)) {
    throw airsignError('OUTPUT_EXISTS', `${options.output} already exists (use options.force to replace it)`, { details: { path: options.output, option: 'force' } });
  }
  const issuerCertificate = options.issuerCert === undefined ? undefined : await readIssuerCertificate(options.issuerCert);

  const opened: KeyBackend[] = [];
  try {
    const key = await openKey(keySpec, options.keyOptions ?? {});
    opened.push(key);
    let issuer: { key: KeyBackend; certificate: Uint8Array } | undefined;
    if (options.issuerKey !== undefined && issuerCertificate !== undefined) {
      const issuerKey = await openKey(options.issuerKey, options.issuerKeyOptions ?? options.keyOptions ?? {});
      opened.push(issuerKey);
      issuer = { key: issuerKey, certificate: issuerCertificate };
    }
    const der = await buildCertificate({
      subjectKey: key,
      subject: options.subject,
      ...(issuer === undefined ? {} : { issuer }),
      ...(options.days === undefined ? {} : { days: options.days }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.pathLength === undefined ? {} : { pathLength: options.pathLength }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    const info = parseCertificate(der);

    // Temp file first (complete and fsynced), then the token, then rename: a failure leaves neither
    // a partial output file nor (if writing the file fails) a certificate on the token.
    let imported: string | undefined;
    await writeFileAtomic(options.output, encodePem('CERTIFICATE', der), {
      mode: 0o644,
      exclusive: options.force !== true,
      ...(options.import === true ? { beforeRename: async () => void (imported = await importNextToKey(key, keySpec, options, der)) } : {}),
    });
    return {
      output: options.output,
      subject: info.subject,
      issuer: info.issuer,
      selfSigned: issuer === undefined,
      ca: options.ca === true,
      serialNumber: info.serialNumberHex,
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      signatureAlgorithm: signatureAlgorithmName(info.signatureAlgorithm),
      sha256Thumbprint: info.sha256Thumbprint,
      keyType: key.keyType,
      warnings: notationWarnings(key.keyType, info.subjectAttributes.flat().map((a) => a.type), options.ca === true),
      ...(imported === undefined ? {} : { imported }),
    };
  } finally {
    for (const key of opened) await key.close();
  }
}

async function readIssuerCertificate(path: string): Promise<Uint8Array> {
  const bytes = await readSmallFile(path, { maxBytes: 1024 * 1024, code: 'KEY_CERT_UNREADABLE', what: `the issuer certificate ${path}` });
  const der = decodePemCertificates(new TextDecoder().decode(bytes), `the issuer certificate ${path}`)[0]!;
  parseCertificate(der);
  return der;
}

/** Same CKA_ID and CKA_LABEL as the private key, so openKey finds the certificate as the key's chain. */
async function importNextToKey(key: KeyBackend, keySpec: string, options: CertCreateOptions, der: Uint8Array): Promise<string> {
  if (!(key instanceof Pkcs11KeyBackend)) throw airsignError('CERT_IMPORT_NEEDS_PKCS11', `${key.description} is not a PKCS#11 key`);
  const lib = key.token.module.lib;
  const [id, label] = key.token.attributes(key.handle, [lib.CKA_ID, lib.CKA_LABEL]);
  return importCertificate(keySpec, der, {
    ...(id === undefined || id.length === 0 ? {} : { id: new Uint8Array(id) }),
    ...(label === undefined || label.length === 0 ? {} : { label: label.toString('utf8') }),
    ...(options.replace === true ? { replace: true } : {}),
    ...(options.keyOptions?.pinFile === undefined ? {} : { pinFile: options.keyOptions.pinFile }),
    ...(options.keyOptions?.modulePath === undefined ? {} : { modulePath: options.keyOptions.modulePath }),
    ...secretSourcesOf(options.keyOptions ?? {}),
  });
}
