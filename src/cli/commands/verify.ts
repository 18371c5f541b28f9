/** `airsign verify`: a thin CLI over verifyLayout (src/operations/verify.ts). */
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';
import { formatVerifyReport, verifyLayout } from '../../operations/verify.js';
import type { SignatureFormatName } from '../../verify/verdict.js';
import { layoutArg } from './layout-arg.js';

interface VerifyArgs {
  input: string;
  reference?: string;
  identity?: string;
  format?: string[];
  trustPolicy?: string;
  trustStore?: string;
}

export const verifyCommand = defineCommand<VerifyArgs>({
  command: 'verify <input>',
  describe: 'Verify an image offline: every blob present, and its signatures against your policy files',
  builder: (yargs) => yargs
    .positional('input', { type: 'string', demandOption: true, describe: 'OCI layout tar (full or stripped), .tar.gz, layout directory, or - for stdin' })
    .option('reference', { type: 'string', describe: 'Image to verify: tag, registry/repo:tag or digest (default: the only image)' })
    .option('identity', { type: 'string', describe: 'registry/repo[:tag] the image is published as (picks the trust policy statement by registry scope)' })
    .option('format', { type: 'string', array: true, choices: ['notation', 'cosign', 'gpg'], describe: 'Formats whose signatures are required (default: every format that signed the image)' })
    .option('trust-policy', { type: 'string', describe: 'Notation trust policy (trustpolicy.oci.json format)' })
    .option('trust-store', { type: 'string', describe: 'Notation trust store directory (x509/{ca,signingAuthority,tsa}/<name>/)' }) as unknown as Argv<VerifyArgs>,
  examples: [
    ['$0 verify image.tar --trust-policy trustpolicy.json --trust-store ~/.config/notation/truststore', 'Check blobs and Notation signatures'],
    ['$0 verify stripped.tar --identity registry.example/app:1.0 --trust-policy tp.json --trust-store ts --json', 'A stripped tar: signatures checked, layers reported as not present'],
  ],
  run: async (args, context) => {
    const report = await verifyLayout(layoutArg(args.input), {
      progress: context.progress,
      stdin: process.stdin,
      ...(args.reference === undefined ? {} : { reference: args.reference }),
      ...(args.identity === undefined ? {} : { identity: args.identity }),
      ...(args.format === undefined ? {} : { formats: args.format as SignatureFormatName[] }),
      ...(args.trustPolicy === undefined ? {} : { trustPolicy: args.trustPolicy }),
      ...(args.trustStore === undefined ? {} : { trustStore: args.trustStore }),
    });
    return { text: formatVerifyReport(report), json: report, exitCode: report.verified ? 0 : 1 };
  },
});
