/**
 * The CRLs an operator carries into the air gap (`verify --crl <file|dir>`): each path a CRL file
 * (DER, or PEM holding one or more `X509 CRL` blocks) or a directory whose regular files are all
 * CRLs; raw bytes are read the same way. Anything that is not a CRL is refused (input CRL_INVALID),
 * so a typo never silently leaves a certificate unchecked.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { airsignError } from '../errors.js';
import { decodePemLabel } from '../pem.js';
import { parseRevocationList, type RevocationList } from './crl.js';

/** Reads every CRL named by `sources` (paths, or CRL bytes). */
export async function readRevocationLists(sources: ReadonlyArray<string | Uint8Array>): Promise<RevocationList[]> {
  const lists: RevocationList[] = [];
  for (const [i, source] of sources.entries()) {
    if (typeof source !== 'string') {
      lists.push(...decodeRevocationLists(source, `CRL ${i + 1}`));
      continue;
    }
    const info = await stat(source).catch((e: unknown) => {
      throw airsignError('CRL_INVALID', `cannot read the CRL ${source} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    });
    const files = info.isDirectory() ? (await readdir(source)).sort().map((name) => join(source, name)) : [source];
    for (const file of files) {
      if (file !== source && !(await stat(file)).isFile()) continue;
      lists.push(...decodeRevocationLists(new Uint8Array(await readFile(file)), file));
    }
  }
  return lists;
}

/** The CRLs in one DER or PEM file. */
function decodeRevocationLists(bytes: Uint8Array, source: string): RevocationList[] {
  const text = new TextDecoder().decode(bytes.subarray(0, 64 * 1024 * 1024));
  if (!text.includes('-----BEGIN')) return [parseRevocationList(bytes, source)];
  const blocks = decodePemLabel(text, 'X509 CRL');
  if (blocks.length === 0) throw airsignError('CRL_INVALID', `${source} is PEM but holds no "X509 CRL" block`);
  return blocks.map((der, i) => parseRevocationList(der, blocks.length === 1 ? source : `${source} #${i + 1}`));
}
