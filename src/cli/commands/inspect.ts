// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const inspectCommand = defineCommand({
  command: 'inspect',
  describe: '(inspect: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the inspect command is not built yet');
  },
});
