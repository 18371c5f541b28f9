/** `airsign cert create`: a thin CLI over operations/cert-create.ts. */
import type { CommandModule } from 'yargs';
import { addExamples, defineCommand, type GlobalOptions } from '../command.js';
import { openKeyOptionsFrom, withKeyOptions } from '../key-options.js';
import { finalizeHsmOnExit } from '../finalize-hsm-on-exit.js';
import { airsignError } from '../../errors.js';
import { createCertificateFile } from '../../operations/cert-create.js';
import { warnAboutKeySpecs } from '../warn-key-specs.js';
import { SECRET_TRAILING_SPACE_OPTION } from '../secret-trailing-space-option.js';

const certCreateCommand = defineCommand({
  command: 'create',
  describe: 'Make an X.509 certificate for a key: a Notation-valid code-signing leaf (default) or a CA (--ca)',
  builder: (yargs) =>
    withKeyOptions(yargs, {
      omit: ['cert'],
      requireKey: true,
      describe: { key: 'Key the certificate is for: a pkcs11: URI (HSM) or a private key file', 'password-file': 'File holding the passphrase of an encrypted --key file' },
    })
      .option('subject', {
        type: 'string',
        demandOption: true,
        describe: 'Subject DN in certificate order, e.g. "C=US,ST=WA,O=Acme,CN=release" (escape , + \\ " with \\)',
      })
      .option('issuer-key', { type: 'string', describe: 'CA key that signs the certificate (omit for self-signed)' })
      .option('issuer-cert', { type: 'string', describe: "PEM certificate of --issuer-key (its public key must match)" })
      .option('days', { type: 'number', default: 365, describe: 'Validity in days from now' })
      .option('ca', { type: 'boolean', default: false, describe: 'Make a CA certificate (CA:TRUE, keyCertSign, cRLSign) instead of a code-signing one' })
      .option('path-length', { type: 'number', describe: 'With --ca: basicConstraints path length limit (a whole number >= 0)' })
      .option('import', { type: 'boolean', default: false, describe: 'Also write the certificate onto the token next to the pkcs11: key (same id and label)' })
      .option('replace', { type: 'boolean', default: false, describe: 'With --import: replace a certificate already on the token for this key' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Where to write the PEM certificate' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing --output file (never the key or an issuer file)' })
      .option('issuer-password-file', { type: 'string', describe: 'File holding the passphrase of an encrypted --issuer-key file' })
      .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION),
  examples: [
    ['$0 cert create --key root.pem --subject "C=US,O=Acme,CN=Acme Root" \\\n--ca --days 3650 -o root.pem.crt', 'Make a self-signed root CA from a file key'],
    [
      "$0 cert create --module /usr/lib/softhsm/libsofthsm2.so \\\n--key 'pkcs11:token=rel;object=signer?pin-source=file:/run/pin' \\\n" +
        '--subject "C=US,ST=WA,O=Acme,CN=release" \\\n--issuer-key root.pem --issuer-cert root.pem.crt --import -o leaf.pem',
      'Issue a code-signing certificate for an HSM key and store it on the token',
    ],
    ['$0 cert create --key key.pem --subject "C=US,ST=WA,O=Acme,CN=dev" \\\n-o cert.pem', 'Self-signed code-signing certificate (a one-certificate Notation chain)'],
  ],
  run: async (args, context) => {
    await finalizeHsmOnExit(args.key, args['issuer-key']);
    if (!Number.isInteger(args.days)) throw airsignError('CERT_DAYS_INVALID', `--days must be a whole number, got ${String(args.days)}`, { details: { option: 'days', value: String(args.days) } });
    warnAboutKeySpecs(context, [args.key, args['issuer-key']]);
    const { passwordFile, ...tokenOptions } = openKeyOptionsFrom(args, context);
    const keyOptions = { ...tokenOptions, ...(passwordFile === undefined ? {} : { passwordFile }) };
    const issuerKeyOptions = {
      ...tokenOptions,
      ...(args['issuer-password-file'] === undefined ? {} : { passwordFile: args['issuer-password-file'] }),
    };
    const result = await createCertificateFile(args.key!, {
      subject: args.subject,
      ...(args['issuer-key'] === undefined ? {} : { issuerKey: args['issuer-key'] }),
      ...(args['issuer-cert'] === undefined ? {} : { issuerCert: args['issuer-cert'] }),
      days: args.days,
      ca: args.ca,
      ...(args['path-length'] === undefined ? {} : { pathLength: args['path-length'] }),
      import: args.import,
      replace: args.replace,
      output: args.output,
      force: args.force,
      keyOptions,
      issuerKeyOptions,
    });
    const lines = [
      `Wrote ${result.ca ? 'CA' : 'code-signing'} certificate ${result.output}`,
      `  subject:    ${result.subject}`,
      `  issuer:     ${result.issuer}${result.selfSigned ? ' (self-signed)' : ''}`,
      `  valid:      ${result.notBefore} to ${result.notAfter}`,
      `  serial:     ${result.serialNumber}`,
      `  sha256:     ${result.sha256Thumbprint}`,
      ...(result.imported === undefined ? [] : [`  on token:   ${result.imported}`]),
    ];
    if (!context.json) for (const warning of result.warnings) context.log(`warning: ${warning}`);
    return { text: lines.join('\n'), json: result };
  },
});

export const certCommand: CommandModule<GlobalOptions, object> = {
  command: 'cert',
  describe: 'Make X.509 certificates for signing keys',
  builder: (yargs) =>
    addExamples(yargs.command(certCreateCommand).demandCommand(1, 'Name a cert subcommand: create.'), [
      ['$0 cert create --key key.pem --subject "C=US,ST=WA,O=Acme,CN=release" \\\n-o cert.pem', 'Self-signed code-signing certificate'],
    ]),
  handler: () => {},
};
