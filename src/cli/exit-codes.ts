import type { ErrorKind } from '../errors.js';

/** The CLI's fixed exit codes (README "Exit codes"). */
export const ExitCode = {
  Ok: 0,
  VerificationFailed: 1,
  BadInput: 2,
  KeyError: 3,
  Unavailable: 69,
  Internal: 70,
} as const;

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'verification':
      return ExitCode.VerificationFailed;
    case 'input':
      return ExitCode.BadInput;
    case 'key':
      return ExitCode.KeyError;
    case 'unavailable':
      return ExitCode.Unavailable;
    case 'internal':
      return ExitCode.Internal;
  }
}
