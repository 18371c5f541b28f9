/** `airsign sign`: a thin CLI over signLayout (src/operations/sign.ts). */
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';
import { LOCK_WAIT_OPTION, writeRunOptions } from '../write-options.js';
import { openKeyOptionsFrom, withKeyOptions, type KeyArgs } from '../key-options.js';
import { listOption } from '../list-option.js';
import { finalizeHsmOnExit } from '../finalize-hsm-on-exit.js';
import { airsignError } from '../../errors.js';
import { decodePemLabel } from '../../pem.js';
import { selectedFormatRegistry, SIGN_FORMAT_IDS } from '../../formats/selected-formats.js';
import { signLayout } from '../../operations/sign.js';
import { parseAnnotations, parseExpiry, parseNotationManifest } from '../../operations/sign-options.js';
import type { SigningRecord } from '../../signing-record.js';
import type { TsaOptions } from '../../timestamp/tsa-client.js';
import { warnAboutKeySpecs } from '../warn-key-specs.js';
import { SECRET_TRAILING_SPACE_OPTION } from '../secret-trailing-space-option.js';
import { fsErrorText } from '../../fs/fs-error-text.js';
import { printable } from '../../printable.js';

interface SignArgs extends KeyArgs {
  input: string;
  format: string[];
  reference?: string;
  identity?: string;
  lookaside?: string;
  recursive: boolean;
  includeAttestations: boolean;
  annotation?: string[];
  expiry?: string;
  tsa?: string;
  tsaRootCert?: string;
  notationManifest?: string;
  output?: string;
  record?: string;
  lockWait?: number;
}

export const signCommand = defineCommand<SignArgs>({
  command: 'sign <input>',
  describe: 'Sign an image in an OCI layout tarball (full or stripped) or directory',
  builder: (yargs) =>
    withKeyOptions(
      yargs
        .positional('input', { type: 'string', demandOption: true, describe: 'OCI layout tar (full or stripped) or layout directory' })
        .option('format', { ...listOption(`Signature format, repeatable or comma-separated (${SIGN_FORMAT_IDS.join(', ')})`), demandOption: true })
        .option('output', { alias: 'o', type: 'string', describe: 'Write the signed tar here (default: replace the input atomically)' })
        .option('reference', { alias: 'r', type: 'string', describe: 'Image to sign: tag, registry/repo:tag or digest (default: the only image)' })
        .option('identity', { type: 'string', describe: 'Registry reference the image will be pulled as (registry/repo[:tag]), written into cosign and GPG signatures (required by --format cosign and gpg)' })
        .option('lookaside', { type: 'string', describe: 'GPG: lookaside directory (the registries.d lookaside: path); writes <dir>/<repo>@sha256=<hex>/signature-N' })
        .option('recursive', { type: 'boolean', default: false, describe: 'Also sign each child of the index whose content is a platform image; other children are named in a note' })
        .option('include-attestations', { type: 'boolean', default: false, describe: 'With --recursive, also sign attestation manifests (by annotation, artifactType or in-toto layers)' })
        .option('annotation', { type: 'string', array: true, describe: 'k=v added to the signed payload, repeatable' })
        .option('expiry', { type: 'string', describe: 'Signature expiry: duration (30d, 12h, 1h30m) or RFC 3339 time' })
        .option('tsa', { type: 'string', describe: 'RFC 3161 time-stamping authority URL (http:// or https://)' })
        .option('tsa-root-cert', { type: 'string', alias: 'tsa-cert', describe: 'PEM root certificate of the TSA (required with --tsa); the time stamp must chain to it' })
        .option('notation-manifest', { type: 'string', choices: ['legacy', 'oci-1.1'], describe: 'Notation signature manifest form (default legacy, what notation v1.3 reads)' })
        .option('record', { type: 'string', describe: 'Write a JSON signing record to this file' })
        .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION)
        .option('lock-wait', LOCK_WAIT_OPTION),
      { requireKey: true, describe: { key: 'Signing key: a pkcs11: URI (HSM) or a private key file' } },
    ) as unknown as Argv<SignArgs>,
  examples: [
    ['$0 sign image.tar --key key.pem --cert chain.pem --format notation', 'Add a Notation JWS signature to the only image'],
    [
      "$0 sign image.tar --module /usr/lib/softhsm/libsofthsm2.so \\\n--key 'pkcs11:token=release;object=signer' --pin-file pin.txt \\\n--format notation,notation-cose --record rec.json",
      'Sign with an HSM key in two formats (one login) and keep a record',
    ],
    ['$0 sign multi.tar --key key.pem --cert chain.pem --format notation \\\n--recursive -r app:1.4', 'Sign a multi-platform index and each platform manifest'],
    [
      "$0 sign app.tar --key 'pkcs11:token=release;object=signer' \\\n--format cosign,cosign-bundle --identity registry.example/team/app:1.4",
      'cosign .sig and v3 bundle signatures naming the pull reference',
    ],
    [
      '$0 sign image.tar --key key.pem --cert chain.pem --format notation \\\n--tsa http://tsa.internal/tsr --tsa-root-cert tsa-root.pem --expiry 365d',
      'Time-stamp the signature with an internal TSA and set an expiry',
    ],
    [
      "$0 sign image.tar --key 'pkcs11:token=release;object=signer' \\\n--format gpg --identity registry.example.com/app:1.4 --lookaside ./sigstore",
      'GPG simple signing for podman/skopeo; the tar is left as it is',
    ],
  ],
  run: async (args, context) => {
    await finalizeHsmOnExit(args.key);
    if (args.key === undefined || args.key === '') throw airsignError('SIGN_NO_KEY', 'name the signing key with --key (a pkcs11: URI or a key file)', { details: { option: 'key' } });
    const formats = args.format;
    const notationManifest = parseNotationManifest(args.notationManifest);
    // Only the named formats' code is loaded (start-up time); an unknown name still lists every format.
    const runRegistry = await selectedFormatRegistry(formats, { notationManifest, gpg: { ...(args.lookaside === undefined ? {} : { lookaside: args.lookaside }) } });
    runRegistry.select(formats); // unknown / missing --format before opening anything
    warnAboutKeySpecs(context, [args.key]);
    const signingTime = new Date();
    const annotations = parseAnnotations(args.annotation);
    const expiry = args.expiry === undefined ? undefined : parseExpiry(args.expiry, signingTime);
    if (args.tsaRootCert !== undefined && args.tsa === undefined) {
      throw airsignError('SIGN_BAD_OPTION', '--tsa-root-cert only applies with --tsa <url>', { details: { option: 'tsaOptions.rootCertificates' } });
    }
    const tsaOptions: TsaOptions = {};
    if (args.tsaRootCert !== undefined) tsaOptions.rootCertificates = await readPemCertificates(args.tsaRootCert);
    const result = await signLayout(args.input, {
      key: args.key,
      keyOptions: openKeyOptionsFrom(args, context),
      formats,
      registry: runRegistry,
      ...(args.reference === undefined ? {} : { reference: args.reference }),
      ...(args.identity === undefined ? {} : { identity: args.identity }),
      recursive: args.recursive,
      includeAttestations: args.includeAttestations,
      annotations,
      signingTime,
      ...(expiry === undefined ? {} : { expiry }),
      ...(args.tsa === undefined ? {} : { tsaUrl: args.tsa, tsaOptions }),
      ...(args.output === undefined ? {} : { output: args.output }),
      ...(args.record === undefined ? {} : { recordPath: args.record }),
      ...(args.tsaRootCert === undefined ? {} : { otherInputs: [{ path: args.tsaRootCert, what: '--tsa-root-cert' }] }),
      ...(args.lookaside === undefined || !formats.includes('gpg') ? {} : { outputDirectories: [{ path: args.lookaside, what: 'the --lookaside directory' }] }),
      ...writeRunOptions(context, args.lockWait),
    });
    if (result.identity !== undefined && result.record.identity !== undefined) context.log(`signed identity ${result.identity.reference}`);
    for (const copy of result.detachedCopies) {
      context.log(`oras cp -r does not carry the tag ${copy.tag}; copy it with: ${copy.command}`);
    }
    const again = result.record.signatures.filter((s) => s.existingSignatures !== undefined);
    if (again.length > 0) {
      const what = again.map((s) => `${s.format} over ${s.signedDescriptor.digest}`).join(', ');
      context.log(`note: already signed by this key before this run (${what}); added ${again.length === 1 ? 'another signature' : 'more signatures'}`);
    }
    return { text: describeRecord(result.record, result.output), json: result.record };
  },
});

function describeRecord(record: SigningRecord, output: string): string {
  const lines = [`signed ${output}: ${record.signatures.length} signature(s)`];
  for (const s of record.signatures) {
    const where = s.signatureManifest?.digest ?? s.file ?? s.signature.digest;
    const as = s.identity === undefined ? '' : ` as ${s.identity}`;
    lines.push(`  ${s.format} ${s.algorithm} over ${s.signedDescriptor.digest}${as} → ${where}${s.tag ? ` [${s.tag}]` : ''}${s.timestamped ? ' (time-stamped)' : ''}${s.existing ? ' (already there)' : ''}`);
  }
  for (const note of record.notes) lines.push(`  note: ${note}`);
  // Notes name platforms and tags from the layout: each line is escaped on its own (src/printable.ts).
  return lines.map(printable).join('\n');
}

async function readPemCertificates(path: string): Promise<Uint8Array[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw airsignError('TSA_BAD_CERTIFICATE', `cannot read --tsa-root-cert ${path}: ${fsErrorText(e)}`);
  }
  let certificates: Uint8Array[];
  try {
    certificates = decodePemLabel(text, 'CERTIFICATE');
  } catch (e) {
    throw airsignError('TSA_BAD_CERTIFICATE', `--tsa-root-cert ${path} holds a PEM block that is not valid base64`, { cause: e });
  }
  if (certificates.length === 0) throw airsignError('TSA_BAD_CERTIFICATE', `--tsa-root-cert ${path} holds no PEM certificate`);
  return certificates;
}
