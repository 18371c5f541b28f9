/**
 * `airsign key list|export|generate`: thin CLI over src/operations/key-*.ts (inventory of a PKCS#11
 * module, public-key export, new file keys); this file only declares options and formats results.
 */
import type { Argv, CommandModule } from 'yargs';
import { addExamples, defineCommand, type GlobalOptions } from '../command.js';
import { openKeyOptionsFrom, withKeyOptions } from '../key-options.js';
import { finalizeHsmOnExit } from '../finalize-hsm-on-exit.js';
import { warnAboutKeySpecs } from '../warn-key-specs.js';
import { SECRET_TRAILING_SPACE_OPTION } from '../secret-trailing-space-option.js';
import { GENERATE_KEY_TYPES } from '../../keys/generate-key.js';
import type { Pkcs11TokenContents } from '../../keys/pkcs11/pkcs11-inventory.js';
import { EXPORT_FORMATS, exportPublicKey } from '../../operations/key-export.js';
import { generateKeyFiles } from '../../operations/key-generate.js';
import { listKeys } from '../../operations/key-list.js';
import { resolveModulePath } from '../../keys/pkcs11/pkcs11-session-manager.js';

// ---------- key list ----------

const listCommand = defineCommand({
  command: 'list',
  describe: 'List the tokens of a PKCS#11 module and their keys and certificates, with the URI to use',
  builder: (yargs) =>
    withKeyOptions(yargs, {
      omit: ['key', 'cert', 'password-file'],
      describe: { module: 'PKCS#11 module (.so/.dll); default $AIRSIGN_PKCS11_MODULE or $COSIGN_PKCS11_MODULE_PATH' },
    })
      .option('token', { type: 'string', describe: 'Only this token (exact label); logs in to see private keys' })
      .option('module-init-args', {
        type: 'string',
        describe: "The module's init string (C_Initialize pReserved; NSS softokn: configdir='sql:<dir>' …); in a URI: module-init-args=",
      })
      .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION)
      .option('login', { type: 'boolean', describe: 'Log in to the token (default: with --token when a PIN is available)' }),
  examples: [
    ['$0 key list --module /usr/lib/softhsm/libsofthsm2.so', 'List tokens and their public objects'],
    ['AIRSIGN_PKCS11_PIN=… $0 key list \\\n--module /usr/lib/softhsm/libsofthsm2.so --token release --json', 'Keys and certificates on token "release"'],
  ],
  run: async (args, context) => {
    await finalizeHsmOnExit();
    const result = await listKeys(resolveModulePath(args.module, context.secrets.env), {
      ...context.secrets,
      ...(args.token === undefined ? {} : { token: args.token }),
      ...(args.pinFile === undefined ? {} : { pinFile: args.pinFile }),
      ...(args.login === undefined ? {} : { login: args.login }),
      ...(args.moduleInitArgs === undefined ? {} : { moduleInitArgs: args.moduleInitArgs }),
    });
    return { json: result, text: formatListing(result.module, result.tokens) };
  },
});

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `    ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

/**
 * A CKA_ID for the table: its hex, and the text when every byte is printable ASCII (tpm2-pkcs11 and
 * some tools store ids as text: "01" is 3031).
 */
export function readableId(hex: string): string {
  if (hex === '') return '-';
  const bytes = Buffer.from(hex, 'hex');
  const printable = bytes.length > 0 && bytes.every((b) => b >= 0x21 && b <= 0x7e);
  return printable ? `${hex} ("${bytes.toString('latin1')}")` : hex;
}

function formatListing(modulePath: string, contents: Pkcs11TokenContents[]): string {
  const lines = [`Module ${modulePath}`];
  if (contents.length === 0) lines.push('  (no initialized tokens)');
  for (const c of contents) {
    const t = c.token;
    lines.push(
      '',
      `  Token "${t.label}"  slot ${t.slotId}  ${t.manufacturer} ${t.model}  serial ${t.serial}${t.pinLocked ? '  PIN LOCKED' : ''}`,
      `    ${t.uri}`,
      `    ${c.loggedIn ? 'logged in' : 'not logged in: private keys are hidden (give --token with a PIN, or --login)'}`,
    );
    if (c.keys.length > 0) {
      lines.push('  Keys');
      lines.push(
        ...table([
          ['ID', 'LABEL', 'TYPE', 'BITS', 'OBJECTS', 'URI'],
          ...c.keys.map((k) => [
            readableId(k.id),
            k.label ?? '-',
            k.keyType ?? 'unsupported',
            k.bits === null ? '-' : String(k.bits),
            [k.hasPrivateKey ? 'private' : '', k.hasPublicKey ? 'public' : '', k.hasCertificate ? 'cert' : ''].filter(Boolean).join('+'),
            k.uri,
          ]),
        ]),
      );
    } else {
      lines.push('  Keys: none visible');
    }
    if (c.certificates.length > 0) {
      lines.push('  Certificates');
      lines.push(
        ...table([
          ['ID', 'LABEL', 'SUBJECT', 'NOT AFTER'],
          ...c.certificates.map((x) => [readableId(x.id), x.label ?? '-', x.subject ?? '(not X.509)', x.notAfter ?? '-']),
        ]),
      );
    }
  }
  return lines.join('\n');
}

// ---------- key export ----------

const exportCommand = defineCommand({
  command: 'export [key]',
  describe: 'Export the public key of an HSM or file key',
  builder: (yargs) =>
    withKeyOptions(yargs.positional('key', { type: 'string', describe: 'The key (or give it with --key): a pkcs11: URI or a private key file' }), {
      omit: ['cert'],
    })
      .check((args) => (args.key !== undefined && args.key !== '') || 'name the key to export, as an argument or with --key')
      .option('as', { choices: EXPORT_FORMATS, default: 'pem' as const, describe: 'pem/cosign: SPKI "PUBLIC KEY" PEM; openpgp: transferable OpenPGP public key' })
      .option('user-id', { type: 'string', describe: 'OpenPGP user ID, e.g. "Release Signing <release@example.com>" (--as openpgp)' })
      .option('output', { alias: 'o', type: 'string', describe: 'Write to this file (default: stdout). In Windows PowerShell use -o, not ">": it re-encodes the bytes as UTF-16' })
      .option('armor', { type: 'boolean', describe: 'ASCII-armor the OpenPGP key (default: on for stdout and .asc files, binary otherwise)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing --output file (never the key itself)' })
      .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION),
  examples: [
    ["$0 key export 'pkcs11:token=release;object=signer' \\\n--module /usr/lib/softhsm/libsofthsm2.so --as cosign -o cosign.pub", 'SPKI PEM for cosign verify --key'],
    ['$0 key export key.pem --output key.pub', 'Public key of a file key'],
    [
      "$0 key export 'pkcs11:token=release;object=signer' --as openpgp \\\n--user-id 'Release <rel@example.com>' -o release.gpg",
      'OpenPGP key for gpg --import (binary; .asc or --armor for text)',
    ],
  ],
  run: async (args, context) => {
    warnAboutKeySpecs(context, [args.key]);
    await finalizeHsmOnExit(args.key);
    const result = await exportPublicKey(args.key!, {
      as: args.as,
      ...(args.userId === undefined ? {} : { userId: args.userId }),
      ...(args.armor === undefined ? {} : { armor: args.armor }),
      ...(args.output === undefined ? {} : { output: args.output }),
      force: args.force,
      keyOptions: openKeyOptionsFrom(args, context),
    });
    if (result.output !== undefined) {
      return { text: `Wrote ${result.format} public key of ${result.key} (${result.keyType}) to ${result.output}`, json: result };
    }
    return { text: result.publicKey ?? '', json: result };
  },
});

// ---------- key generate ----------

/** --output help: on Windows the file mode does not keep other users out, so it says so. */
export function privateKeyOutputHelp(platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? 'Private key file to write. On Windows it is NOT limited to you (it inherits its folder\'s access list): prefer --cosign (encrypted)'
    : 'Private key file to write (mode 0600)';
}

const generateCommand = defineCommand({
  command: 'generate',
  describe: 'Generate a file key (PKCS#8 PEM, or cosign\'s encrypted format with --cosign)',
  builder: (yargs) =>
    yargs
      .option('type', { choices: GENERATE_KEY_TYPES, demandOption: true, describe: 'Key type' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: privateKeyOutputHelp(process.platform) })
      .option('cosign', { type: 'boolean', default: false, describe: 'Encrypt in cosign format and also write <output>.pub (password from $AIRSIGN_KEY_PASSWORD, $COSIGN_PASSWORD, --password-file or a prompt)' })
      .option('password-file', { type: 'string', describe: 'File holding the password for --cosign' })
      .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION)
      .option('force', { type: 'boolean', default: false, describe: 'Replace existing files (never the --password-file)' }),
  examples: [
    ['$0 key generate --type ecdsa-p256 --output key.pem', 'New P-256 key in PKCS#8 PEM'],
    ['COSIGN_PASSWORD=… $0 key generate --type ecdsa-p256 --cosign \\\n--output cosign.key', 'cosign.key + cosign.pub, as cosign generate-key-pair'],
  ],
  run: async (args, context) => {
    const type = args.type;
    const result = await generateKeyFiles(type, {
      ...context.secrets,
      output: args.output,
      cosign: args.cosign,
      force: args.force,
      ...(args.passwordFile === undefined ? {} : { passwordFile: args.passwordFile }),
    });
    for (const warning of result.warnings ?? []) context.log(`warning: ${warning}`);
    const pub = result.publicKey === undefined ? '' : ` and public key to ${result.publicKey}`;
    return { json: result, text: `Wrote ${type} ${args.cosign ? 'cosign-encrypted' : 'PKCS#8'} private key to ${result.privateKey}${pub}` };
  },
});

export const keyCommand: CommandModule<GlobalOptions, object> = {
  command: 'key',
  describe: 'HSM and file keys: list, export public keys, generate',
  builder: (yargs: Argv<GlobalOptions>) =>
    addExamples(yargs, [
      ['$0 key list --module /usr/lib/softhsm/libsofthsm2.so', 'What is on the HSM'],
      ['$0 key export key.pem', 'Print a public key'],
    ])
      .command(listCommand)
      .command(exportCommand)
      .command(generateCommand)
      .demandCommand(1, 'Name a key subcommand: list, export or generate.'),
  handler: () => undefined,
};
