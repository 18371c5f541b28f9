/**
 * The files opening a key reads (the key file, --cert, --password-file, --pin-file, a pkcs11: URI's
 * pin-source and module-path, the PKCS#11 module), named for messages: the inputs an output of the
 * same run must never replace (fs/distinct-files.ts).
 */
import type { NamedPath } from '../fs/distinct-files.js';

/** What of a key's options names files. */
export interface KeyFileOptions {
  certificatePath?: string | undefined;
  passwordFile?: string | undefined;
  pinFile?: string | undefined;
  modulePath?: string | undefined;
}

/** A pkcs11: URI's query attribute (percent-decoded), if present. */
function uriAttribute(uri: string, name: string): string | undefined {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const path = uri.slice('pkcs11:'.length).split('?')[0] ?? '';
  for (const pair of [...query.split('&'), ...path.split(';')]) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === name) {
      try {
        return decodeURIComponent(pair.slice(eq + 1));
      } catch {
        return pair.slice(eq + 1);
      }
    }
  }
  return undefined;
}

/** The files `spec` (a key file or a pkcs11: URI) and its options read. */
export function keyInputFiles(spec: string | undefined, options: KeyFileOptions = {}, role = 'the key'): NamedPath[] {
  const files: NamedPath[] = [];
  if (spec !== undefined && spec !== '') {
    if (/^pkcs11:/i.test(spec)) {
      const pinSource = uriAttribute(spec, 'pin-source');
      if (pinSource !== undefined) files.push({ path: pinSource.replace(/^file:(\/\/(?=\/))?/i, ''), what: `the pin-source of ${role}` });
      const modulePath = uriAttribute(spec, 'module-path');
      if (modulePath !== undefined) files.push({ path: modulePath, what: `the module-path of ${role}` });
    } else {
      files.push({ path: spec, what: role });
    }
  }
  if (options.certificatePath !== undefined) files.push({ path: options.certificatePath, what: 'options.keyOptions.certificatePath' });
  if (options.passwordFile !== undefined) files.push({ path: options.passwordFile, what: `the password file of ${role}` });
  if (options.pinFile !== undefined) files.push({ path: options.pinFile, what: 'options.keyOptions.pinFile' });
  if (options.modulePath !== undefined) files.push({ path: options.modulePath, what: 'options.keyOptions.modulePath' });
  return files;
}
