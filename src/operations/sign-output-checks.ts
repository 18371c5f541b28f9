/**
 * What `sign` checks about its outputs before anything is read or signed: the signed tar
 * (--output) and the record never replace the key, the certificate, a secret file or each other;
 * the record never replaces the layout either (--output may name the input tar: that is the
 * in-place default spelled out); neither lands inside a layout directory being signed or in a
 * strip directory.
 */
import { refuseOutputInsideDirectoryInput, refuseOverwritingInputs } from '../fs/distinct-files.js';
import type { KeyBackend } from '../key-backend.js';
import { keyInputFiles } from '../keys/key-input-files.js';
import type { OpenKeyOptions } from '../keys/open-key.js';
import { refuseOutputInAnyStripDirectory } from '../layout/strip-directory.js';

export interface SignOutputs {
  key: string | KeyBackend;
  keyOptions?: OpenKeyOptions | undefined;
  output?: string | undefined;
  recordPath?: string | undefined;
}

export async function checkSignOutputs(source: string, options: SignOutputs): Promise<void> {
  const keyFiles = keyInputFiles(typeof options.key === 'string' ? options.key : undefined, options.keyOptions ?? {});
  const output = options.output === undefined ? undefined : { path: options.output, what: '--output' };
  const record = options.recordPath === undefined ? undefined : { path: options.recordPath, what: '--record' };
  await refuseOverwritingInputs([output, record], keyFiles);
  await refuseOverwritingInputs([record], [{ path: source, what: 'the layout' }]);
  for (const file of [output, record]) {
    if (file === undefined) continue;
    await refuseOutputInsideDirectoryInput(file.path, source, file.what);
    await refuseOutputInAnyStripDirectory(file.path, file.what);
  }
}
