// `airsign inspect <layout>`: tags, manifest tree, present/stripped blobs, signatures and referrers.
import { defineCommand } from '../command.js';
import { layoutArg } from './layout-arg.js';
import { inspectLayout } from '../../operations/inspect.js';
import { formatInspectReport } from '../format-inspect-report.js';

export const inspectCommand = defineCommand({
  command: 'inspect <layout>',
  describe: 'Show tags, the manifest/index tree, present or stripped blobs, and signatures/referrers',
  builder: (yargs) =>
    yargs.positional('layout', {
      type: 'string',
      demandOption: true,
      describe: 'OCI layout: a .tar file, a .tar.gz, a layout directory, or - for stdin',
    }),
  examples: [
    ['$0 inspect image.tar', 'Print the layout as a tree'],
    ['$0 inspect image.tar --json', 'Print one JSON document (stable fields, for scripts)'],
    ['docker buildx build -o type=oci,dest=- . | $0 inspect -', 'Inspect a tar read from stdin'],
  ],
  run: async (args, context) => {
    const report = await inspectLayout(layoutArg(args.layout), { progress: context.progress, stdin: process.stdin });
    return { text: formatInspectReport(report), json: report };
  },
});
