/**
 * `--format gpg`: containers/image "simple signing". The payload names the registry identity and
 * the manifest digest; the key itself signs it as an OpenPGP signed message (no gpg, no agent), as
 * the primary key whose transferable public key `airsign key export --as openpgp` writes. The
 * signature goes to the lookaside tree (`--lookaside`), never into the layout. Created with its
 * options: the lookaside base directory.
 */
import { descriptorFromBytes, plainDescriptor } from '../../descriptor.js';
import { airsignError } from '../../errors.js';
import type { KeyType } from '../../key-backend.js';
import { formatRfc3339 } from '../../rfc3339.js';
import type { SignatureRecord } from '../../signing-record.js';
import { VERSION } from '../../version.js';
import { openPgpPublicKey } from '../openpgp/public-key.js';
import { signOpenPgpMessage } from '../openpgp/sign-message.js';
import { verifyOpenPgpMessage } from '../openpgp/check-own-message.js';
import type { SignatureFormat, SignContext, SigningKeyInfo } from '../signature-format.js';
import { parseDockerReference } from '../docker-reference.js';
import { checkLookasideBase, lookasideDirectory } from './lookaside.js';
import { gpgSimpleSigningPayload } from './gpg-payload.js';
import { GPG_VERIFICATION } from './gpg-verification.js';

export interface GpgFormatOptions {
  /** `--lookaside`: the base of the lookaside tree (a registries.d `lookaside:` file:// path). */
  lookaside?: string;
}

/** Media type recorded for the signature file (c/image defines none; it is a binary OpenPGP message). */
const GPG_SIGNATURE_MEDIA_TYPE = 'application/octet-stream';

const ALGORITHM_NAME: Record<KeyType, string> = {
  'ecdsa-p256': 'OpenPGP ECDSA P-256 SHA-256',
  'ecdsa-p384': 'OpenPGP ECDSA P-384 SHA-384',
  'ecdsa-p521': 'OpenPGP ECDSA P-521 SHA-512',
  'rsa-2048': 'OpenPGP RSA SHA-256',
  'rsa-3072': 'OpenPGP RSA SHA-384',
  'rsa-4096': 'OpenPGP RSA SHA-512',
  ed25519: 'OpenPGP EdDSA Ed25519 SHA-512',
};

function requireIdentity(identity: string | undefined): string {
  if (identity === undefined || identity === '') {
    throw airsignError('IDENTITY_REQUIRED', 'options.formats gpg signs the registry reference the image will be pulled as: give options.identity registry/repo:tag', { details: { option: 'identity' } });
  }
  return identity;
}

function requireLookaside(lookaside: string | undefined): string {
  if (lookaside === undefined || lookaside === '') {
    throw airsignError('GPG_LOOKASIDE_REQUIRED', 'options.formats gpg writes its signatures to a lookaside tree: give options.lookaside <dir> (the registries.d lookaside: path)', {
      details: { option: 'lookaside' },
    });
  }
  return lookaside;
}

/** The `gpg` signature format (containers/image simple signing), writing to `options.lookaside`. */
export function createGpgFormat(options: GpgFormatOptions = {}): SignatureFormat {
  return {
    id: 'gpg',
    verification: GPG_VERIFICATION,
    needsIdentity: true,
    describe: 'containers/image simple signing (GPG) as skopeo/podman verify it, written to the lookaside tree --lookaside',
    async preflight() {
      await checkLookasideBase(requireLookaside(options.lookaside));
    },
    async check(key: SigningKeyInfo) {
      // Builds the OpenPGP key packet: refuses a public key that does not match its type.
      await openPgpPublicKey(key.backend);
    },
    async sign(context: SignContext) {
      const lookaside = requireLookaside(options.lookaside);
      const reference = parseDockerReference(requireIdentity(context.identity));
      const timestamp = Math.floor(context.signingTime.getTime() / 1000);
      const payload = gpgSimpleSigningPayload({
        identity: reference.text,
        digest: context.subject.digest,
        creator: context.signingAgent,
        timestamp,
      });
      const backend = context.key.backend;
      const publicKey = await openPgpPublicKey(backend);
      const expiresAfter = context.expiry === undefined ? undefined : Math.floor(context.expiry.getTime() / 1000) - timestamp;
      const message = await signOpenPgpMessage(backend, payload, { timestamp, ...(expiresAfter === undefined ? {} : { expiresAfter }) });
      verifyOpenPgpMessage(message, publicKey, context.key.spki);
      const record: SignatureRecord = {
        format: 'gpg',
        signedDescriptor: plainDescriptor(context.subject),
        publicKeyFingerprint: context.key.publicKeyFingerprint,
        certificateThumbprints: [],
        signature: descriptorFromBytes(GPG_SIGNATURE_MEDIA_TYPE, message),
        algorithm: ALGORITHM_NAME[backend.keyType],
        signingTime: formatRfc3339(context.signingTime),
        ...(context.expiry === undefined ? {} : { expiry: formatRfc3339(context.expiry) }),
        timestamped: false,
        toolVersion: VERSION,
        identity: reference.text,
        openpgpFingerprint: Buffer.from(publicKey.fingerprint).toString('hex').toUpperCase(),
      };
      return {
        blobs: [],
        indexEntries: [],
        records: [record],
        externalFiles: [{ directory: lookasideDirectory(lookaside, reference, context.subject.digest), stem: 'signature', bytes: message, record }],
      };
    },
  };
}
