// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const certCommand = defineCommand({
  command: 'cert',
  describe: '(cert: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the cert command is not built yet');
  },
});
