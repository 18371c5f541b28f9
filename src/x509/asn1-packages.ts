/**
 * The @peculiar ASN.1 packages the X.509 code uses, loaded with require().
 *
 * They are CommonJS. An ES `import` of them makes Node's loader lex every file their index
 * re-exports (tslib `__exportStar`, ~60 files) to find named exports, which doubled their load
 * time: about +90 ms on every `sign`. require() loads the very same modules (shared with any other
 * importer through the CommonJS cache) without that. Importers destructure what they need and,
 * for names used as types, alias the type: `const { Name } = asn1X509; type Name = X509.Name;`
 * with `import type * as X509 from '@peculiar/asn1-x509'`.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const asn1Schema = require('@peculiar/asn1-schema') as typeof import('@peculiar/asn1-schema');
export const asn1X509 = require('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509');
/** @peculiar/asn1-rsa, loaded on first use: only RSASSA-PSS-signed CRLs need it. */
export function asn1Rsa(): typeof import('@peculiar/asn1-rsa') {
  return require('@peculiar/asn1-rsa') as typeof import('@peculiar/asn1-rsa');
}
