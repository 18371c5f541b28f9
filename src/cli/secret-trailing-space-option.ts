/**
 * `--secret-trailing-space`, declared by every command that reads PIN or passphrase files. Without
 * it a file whose secret ends in a space or tab is refused before any login (cmd's
 * `echo 1234 > pin.txt` writes "1234 ", and each wrong PIN costs a token retry). main.ts turns it
 * into `secrets.trailingSpaceIsSecret` for the library.
 */
export const SECRET_TRAILING_SPACE_OPTION = {
  type: 'boolean',
  describe: 'Spaces/tabs at the end of a PIN or passphrase file are part of the secret (otherwise such a file is refused)',
} as const;
