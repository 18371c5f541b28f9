/**
 * Which PKCS#11 mechanism signs a scheme on a given token: the raw one where the token offers it
 * (airsign hashes: CKM_ECDSA takes the digest, CKM_RSA_PKCS the DigestInfo, CKM_RSA_PKCS_PSS the
 * digest), else the hash-and-sign mechanism for the scheme's hash (the token hashes the message:
 * CKM_ECDSA_SHA256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS …). Some network and cloud HSMs
 * offer only the latter. When none fits, the error names the mechanisms wanted and those offered.
 */
import { airsignError } from '../../errors.js';
import type { HashAlgorithm, SignatureScheme } from '../../key-backend.js';
import { CK, mechanismName } from './pkcs11-constants.js';

/** What the chosen mechanism takes as input. */
export type MechanismInput = 'digest' | 'digest-info' | 'message';

export interface MechanismChoice {
  mechanism: number;
  input: MechanismInput;
  /** CK_RSA_PKCS_PSS_PARAMS for the PSS mechanisms (MGF1 with the same hash, salt = hash length). */
  pss?: { hashAlg: number; mgf: number; saltLength: number };
}

const HASH_MECHANISM: Record<HashAlgorithm, number> = { sha256: CK.CKM_SHA256, sha384: CK.CKM_SHA384, sha512: CK.CKM_SHA512 };
const MGF1: Record<HashAlgorithm, number> = { sha256: CK.CKG_MGF1_SHA256, sha384: CK.CKG_MGF1_SHA384, sha512: CK.CKG_MGF1_SHA512 };
const SALT: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };
const ECDSA_WITH: Record<HashAlgorithm, number> = { sha256: CK.CKM_ECDSA_SHA256, sha384: CK.CKM_ECDSA_SHA384, sha512: CK.CKM_ECDSA_SHA512 };
const RSA_PKCS_WITH: Record<HashAlgorithm, number> = { sha256: CK.CKM_SHA256_RSA_PKCS, sha384: CK.CKM_SHA384_RSA_PKCS, sha512: CK.CKM_SHA512_RSA_PKCS };
const RSA_PSS_WITH: Record<HashAlgorithm, number> = { sha256: CK.CKM_SHA256_RSA_PKCS_PSS, sha384: CK.CKM_SHA384_RSA_PKCS_PSS, sha512: CK.CKM_SHA512_RSA_PKCS_PSS };

/** The candidates for a scheme, best first: the raw mechanism, then hash-and-sign. */
function candidateMechanisms(scheme: SignatureScheme): MechanismChoice[] {
  switch (scheme.algorithm) {
    case 'ed25519':
      return [{ mechanism: CK.CKM_EDDSA, input: 'message' }];
    case 'ecdsa':
      return [
        { mechanism: CK.CKM_ECDSA, input: 'digest' },
        { mechanism: ECDSA_WITH[scheme.hash], input: 'message' },
      ];
    case 'rsa-pkcs1':
      return [
        { mechanism: CK.CKM_RSA_PKCS, input: 'digest-info' },
        { mechanism: RSA_PKCS_WITH[scheme.hash], input: 'message' },
      ];
    case 'rsa-pss': {
      const pss = { hashAlg: HASH_MECHANISM[scheme.hash], mgf: MGF1[scheme.hash], saltLength: SALT[scheme.hash] };
      return [
        { mechanism: CK.CKM_RSA_PKCS_PSS, input: 'digest', pss },
        { mechanism: RSA_PSS_WITH[scheme.hash], input: 'message', pss },
      ];
    }
  }
}

function describeScheme(scheme: SignatureScheme): string {
  if (scheme.algorithm === 'ed25519') return 'Ed25519';
  const name = { ecdsa: 'ECDSA', 'rsa-pss': 'RSA-PSS', 'rsa-pkcs1': 'RSA PKCS#1 v1.5' }[scheme.algorithm];
  return `${name} with ${scheme.hash.toUpperCase().replace('SHA', 'SHA-')}`;
}

/**
 * The mechanism to sign `scheme` with. `offered` is the token's signing mechanisms (undefined when
 * the module cannot list them: the raw mechanism is then tried as before); `haveMessage` is false
 * when only a digest is at hand (hash-and-sign needs the message itself).
 */
export function chooseMechanism(
  scheme: SignatureScheme,
  offered: ReadonlySet<number> | undefined,
  haveMessage: boolean,
  where: { token: string; modulePath: string },
): MechanismChoice {
  const candidates = candidateMechanisms(scheme);
  if (offered === undefined) return candidates[0] as MechanismChoice;
  const usable = candidates.filter((c) => offered.has(c.mechanism));
  const fit = usable.find((c) => haveMessage || c.input !== 'message');
  if (fit) return fit;
  const wanted = candidates.map((c) => mechanismName(c.mechanism));
  const offeredNames = [...offered].sort((a, b) => a - b).map(mechanismName);
  const onlyHashAndSign = usable.length > 0;
  const why = onlyHashAndSign
    ? `it offers only ${usable.map((c) => mechanismName(c.mechanism)).join(', ')}, which hashes the message itself, and this format signs a digest it computed (wanted ${wanted[0]})`
    : `wanted ${wanted.join(' or ')}; it offers ${offeredNames.length > 0 ? offeredNames.join(', ') : 'no signing mechanism'}`;
  throw airsignError('PKCS11_MECHANISM_UNSUPPORTED', `token "${where.token}" (module ${where.modulePath}) cannot sign ${describeScheme(scheme)}: ${why}`, {
    details: { ckr: 'CKR_MECHANISM_INVALID', operation: 'sign', token: where.token, modulePath: where.modulePath, wanted, offered: offeredNames },
  });
}
