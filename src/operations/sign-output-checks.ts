/**
 * What `sign` checks about its outputs before anything is read or signed: the signed tar
 * (--output) and the record never replace the key, the certificate, a secret file, another input
 * the caller read (--tsa-root-cert) or each other, nor land in a directory the run writes into (the
 * GPG lookaside);
 * the record never replaces the layout either (--output may name the input tar: that is the
 * in-place default spelled out); neither lands inside a layout directory being signed or in a
 * strip directory.
 */
import { airsignError } from '../errors.js';
import { isInsideDirectory, refuseOutputInsideDirectoryInput, refuseOverwritingInputs, type NamedPath } from '../fs/distinct-files.js';
import type { KeyBackend } from '../key-backend.js';
import { keyInputFiles } from '../keys/key-input-files.js';
import type { OpenKeyOptions } from '../keys/open-key.js';
import { refuseOutputInAnyStripDirectory } from '../layout/strip-directory.js';

export interface SignOutputs {
  key: string | KeyBackend;
  keyOptions?: OpenKeyOptions | undefined;
  output?: string | undefined;
  recordPath?: string | undefined;
  otherInputs?: readonly NamedPath[] | undefined;
  outputDirectories?: readonly NamedPath[] | undefined;
}

export async function checkSignOutputs(source: string, options: SignOutputs): Promise<void> {
  const keyFiles = keyInputFiles(typeof options.key === 'string' ? options.key : undefined, options.keyOptions ?? {});
  const output = options.output === undefined ? undefined : { path: options.output, what: 'options.output' };
  const record = options.recordPath === undefined ? undefined : { path: options.recordPath, what: 'options.recordPath' };
  await refuseOverwritingInputs([output, record], [...keyFiles, ...(options.otherInputs ?? [])]);
  await refuseOverwritingInputs([record], [{ path: source, what: 'the layout' }]);
  for (const file of [output, record]) {
    if (file === undefined) continue;
    await refuseOutputInsideDirectoryInput(file.path, source, file.what);
    await refuseOutputInAnyStripDirectory(file.path, file.what);
    for (const directory of options.outputDirectories ?? []) {
      if (await isInsideDirectory(file.path, directory.path)) {
        throw airsignError('OUTPUT_OVERWRITES_INPUT', `${file.what} ${file.path} is inside ${directory.what} ${directory.path}, which this run writes into; write it elsewhere`, {
          details: { output: file.path, other: directory.path },
        });
      }
    }
  }
}
