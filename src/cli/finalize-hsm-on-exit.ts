/**
 * PKCS#11 modules stay initialized and logged in for the whole run (one login for many keys); the
 * library leaves ending that to its caller. The CLI logs out and finalizes them whenever the process
 * exits, however it exits. Commands call this before they open keys; PKCS#11 code loads only when
 * one of the key specs is a `pkcs11:` URI (or none is given: `key list`).
 */
let installed = false;

export async function finalizeHsmOnExit(...keySpecs: Array<string | undefined>): Promise<void> {
  if (installed) return;
  if (keySpecs.length > 0 && !keySpecs.some((spec) => spec !== undefined && /^pkcs11:/i.test(spec))) return;
  installed = true;
  const { finalizePkcs11Modules } = await import('../keys/pkcs11/pkcs11-session-manager.js');
  process.once('exit', finalizePkcs11Modules);
}
