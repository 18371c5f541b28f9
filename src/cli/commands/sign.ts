// Placeholder until the command lands; replaced by its owner.
import { defineCommand } from '../command.js';
import { internalError } from '../../errors.js';

export const signCommand = defineCommand({
  command: 'sign',
  describe: '(sign: not built yet)',
  builder: (yargs) => yargs,
  run: async () => {
    throw internalError('NOT_BUILT', 'the sign command is not built yet');
  },
});
