/** `airsign verify`: a thin CLI over verifyLayout (src/operations/verify.ts). */
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';
import { openKeyOptionsFrom, withKeyOptions, type KeyArgs } from '../key-options.js';
import { warnAboutKeySpecs } from '../warn-key-specs.js';
import { formatVerifyReport, verifyLayout } from '../../operations/verify.js';
import { verifiableFormatIds } from '../verifiable-formats.js';
import { finalizeHsmOnExit } from '../finalize-hsm-on-exit.js';
import { splitList } from '../list-option.js';
import { SECRET_TRAILING_SPACE_OPTION } from '../secret-trailing-space-option.js';
import { layoutArg } from './layout-arg.js';

interface VerifyArgs extends Omit<KeyArgs, 'key'> {
  input: string;
  reference?: string;
  identity?: string;
  format?: string[];
  trustPolicy?: string;
  trustStore?: string;
  crl?: string[];
  key?: string[];
  keyring?: string;
  lookaside?: string;
  policy?: string;
  stripped?: boolean;
  secretTrailingSpace?: boolean;
}

export const verifyCommand = defineCommand<VerifyArgs>({
  command: 'verify <input>',
  describe: 'Verify an image offline: every blob present, and its signatures against your policy files',
  builder: (yargs) => withKeyOptions(yargs
    .positional('input', { type: 'string', demandOption: true, describe: 'OCI layout tar (full or stripped), .tar.gz, layout directory, or - for stdin' })
    .option('reference', { alias: 'r', type: 'string', describe: 'Image to verify: tag, registry/repo:tag or digest (default: the only image)' })
    .option('identity', {
      type: 'string',
      describe: 'registry/repo[:tag][@digest] the image is published as, normalized as a docker reference (app:1 is docker.io/library/app:1): picks the trust policy statement and the policy.json scope, names the GPG lookaside directory, and must match the signed identity; a digest must be the image\'s. Never taken from the layout. Needed by GPG, --policy, and a trust policy with scoped statements',
    })
    .option('format', {
      type: 'string',
      coerce: splitList,
      describe: `Format whose signature is required besides what the trust material requires, repeatable or comma-separated (${verifiableFormatIds().join(', ')}; the names sign --format writes). --trust-policy requires a Notation signature, --key a cosign one (.sig or bundle), --keyring/--lookaside a GPG one, --policy what its scope requires`,
    })
    .option('trust-policy', { type: 'string', describe: 'Notation trust policy (trustpolicy.oci.json format)' })
    .option('trust-store', { type: 'string', describe: 'Notation trust store directory (x509/{ca,signingAuthority,tsa}/<name>/)' })
    .option('crl', { type: 'string', coerce: splitList, describe: 'Notation: certificate revocation list, repeatable or comma-separated — a DER or PEM CRL file or a directory of them; checked as notation checks CRLs (issuer signature, nextUpdate, revoked serials; delta CRLs not used)' })
    .option('key', { type: 'string', coerce: splitList, describe: 'cosign (.sig and bundle): public key, repeatable or comma-separated — a PEM file (cosign.pub) or a pkcs11: URI (read without a PIN when the token shows a public key object)' })
    .option('keyring', { type: 'string', describe: 'gpg: public keyring (gpg --export, binary or armored); any key in it may have signed' })
    .option('lookaside', { type: 'string', describe: 'gpg: the lookaside directory the signatures were written to (<dir>/<repository>@<alg>=<hex>/signature-N)' })
    .option('policy', { type: 'string', describe: 'A containers policy.json: its signedBy (gpg, from --lookaside) and sigstoreSigned (cosign .sig) requirements for the --identity scope decide instead of --keyring/--key' })
    .option('stripped', { type: 'boolean', describe: 'Accept absent layer blobs (a stripped tar); without it any blob of the image the layout lacks fails' })
    .option('secret-trailing-space', SECRET_TRAILING_SPACE_OPTION), {
    omit: ['key', 'cert', 'password-file'],
    describe: { 'pin-file': 'File holding the token PIN, only needed when a pkcs11: --key has no public key object or certificate on the token' },
  }) as unknown as Argv<VerifyArgs>,
  examples: [
    ['$0 verify image.tar --trust-policy trustpolicy.json \\\n--trust-store ~/.config/notation/truststore', 'Check blobs and Notation signatures'],
    [
      '$0 verify stripped.tar --stripped --identity registry.example/app:1.4 \\\n--trust-policy tp.json --trust-store ts --json',
      'A stripped tar: signatures checked, absent layers accepted',
    ],
    ['$0 verify --key cosign.pub image.tar', 'cosign .sig or bundle, as cosign verify --key checks them'],
    ['$0 verify image.tar --identity registry.example/app:1.4 \\\n--key cosign.pub --keyring pubring.gpg --lookaside sigstore/', 'cosign (.sig and bundle) and GPG signatures'],
    [
      '$0 verify pulled/ --identity registry.example/app:1.4 \\\n--policy /etc/containers/policy.json --lookaside sigstore/ \\\n--format gpg --format cosign',
      'Decide GPG and cosign .sig with a containers policy',
    ],
  ],
  run: async (args, context) => {
    if (args.key !== undefined && args.key.length > 0) await finalizeHsmOnExit(...args.key);
    warnAboutKeySpecs(context, args.key ?? []);
    const report = await verifyLayout(layoutArg(args.input), {
      progress: context.progress,
      stdin: process.stdin,
      ...(args.reference === undefined ? {} : { reference: args.reference }),
      ...(args.identity === undefined ? {} : { identity: args.identity }),
      ...(args.format === undefined ? {} : { formats: args.format }),
      ...(args.trustPolicy === undefined ? {} : { trustPolicy: args.trustPolicy }),
      ...(args.trustStore === undefined ? {} : { trustStore: args.trustStore }),
      ...(args.crl === undefined ? {} : { crls: args.crl }),
      ...(args.key === undefined ? {} : { keys: args.key }),
      keyOptions: openKeyOptionsFrom({ ...args, key: undefined }, context),
      ...(args.keyring === undefined ? {} : { keyring: args.keyring }),
      ...(args.lookaside === undefined ? {} : { lookaside: args.lookaside }),
      ...(args.policy === undefined ? {} : { policy: args.policy }),
      ...(args.stripped === true ? { stripped: true } : {}),
    });
    return { text: formatVerifyReport(report), json: report, exitCode: report.verified ? 0 : 1 };
  },
});
