/**
 * Which scopes each transport of a containers policy.json accepts, as containers/image decides when
 * it reads the file (each transport's `ValidatePolicyConfigurationScope`, Linux rules). A scope a
 * transport refuses makes the whole policy invalid there, so it does here too, although airsign only
 * ever applies the `docker` transport's scopes. The default scope "" and transports containers/image
 * does not know (or keeps as stubs, like `ostree`) accept any scope.
 */
import { posix } from 'node:path';

/** Why `transport` refuses `scope`, in words, or undefined when it accepts it. */
export function transportScopeProblem(transport: string, scope: string): string | undefined {
  if (scope === '') return undefined;
  switch (transport) {
    case 'dir':
    case 'sif':
    case 'oci':
    case 'oci-archive':
      return absolutePathProblem(scope);
    case 'docker-archive':
    case 'tarball':
      return `${transport}: does not support any scopes except the default "" one`;
    case 'docker-daemon':
      return isDigest(scope) ? `docker-daemon: can not use algo:digest value ${scope} as a namespace` : undefined;
    case 'atomic':
      return OPENSHIFT_SCOPE.test(scope) ? undefined : `invalid scope name ${scope}`;
    case 'containers-storage':
      return storageScopeProblem(scope);
    default:
      return undefined; // docker accepts any text; unknown and stub transports are not checked
  }
}

/** openshift (`atomic:`) scopes: host, then up to namespace/stream[:tag]. */
const OPENSHIFT_SCOPE = /^[^/]*(\/[^:/]*(\/[^:/]*(:[^:/]*)?)?)?$/;

/** go-digest's Parse with the algorithms containers/image registers. */
function isDigest(text: string): boolean {
  return /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/.test(text);
}

/** dir, sif, oci and oci-archive: an absolute path other than "/", written as Go's filepath.Clean writes it. */
function absolutePathProblem(scope: string): string | undefined {
  if (!scope.startsWith('/')) return `invalid scope ${scope}: must be an absolute path`;
  if (scope === '/') return 'invalid scope "/": use the generic default scope ""';
  const cleaned = posix.resolve(scope); // for an absolute path, exactly filepath.Clean
  return cleaned === scope ? undefined : `invalid scope ${scope}: uses a non-canonical path, perhaps ${cleaned}`;
}

/** containers-storage: `[driver@/graph/root]` or `[/graph/root]`, then optionally name, name@ID, name@digest or name@digest@ID. */
function storageScopeProblem(scope: string): string | undefined {
  const invalid = `invalid containers-storage scope ${scope}`;
  if (!scope.startsWith('[')) return invalid;
  const close = scope.indexOf(']');
  if (close < 1) return invalid;
  const store = scope.slice(1, close);
  const at = store.indexOf('@');
  const root = at < 0 ? store : store.slice(at + 1);
  if (at === 0 || root === '') return invalid;
  if (!root.startsWith('/')) return `${invalid}: the store path must be absolute`;
  const rest = scope.slice(close + 1);
  if (rest === '') return undefined;
  const fields = splitN(rest, '@', 3);
  const isImageId = (id: string) => isDigest(`sha256:${id}`);
  if (fields.length === 2 && !isImageId(fields[1]!) && !isDigest(fields[1]!)) return `${invalid}: ${fields[1]} is neither a digest nor an image ID`;
  if (fields.length === 3 && (!isDigest(fields[1]!) || !isImageId(fields[2]!))) return `${invalid}: expected name@digest@ID`;
  return undefined;
}

/** Go's strings.SplitN: at most `n` parts, the last one holding the rest. */
function splitN(text: string, separator: string, n: number): string[] {
  const parts = text.split(separator);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(separator)];
}
