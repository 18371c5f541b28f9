// placeholder
import { defineCommand } from '../command.js';
export const verifySignatureCommand = defineCommand<object>({ command: 'verify-signature', describe: 'x', builder: (y) => y, run: async () => ({}) });
