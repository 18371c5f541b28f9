/**
 * One PKCS#11 module load + C_Initialize per module path (and init string), and one session + login
 * per token, per process. Every backend and every signature reuses them. Calls are synchronous (see
 * pkcs11-ffi.ts), so C_SignInit/C_Sign pairs on the shared session never interleave.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { airsignError, isAirsignError } from '../../errors.js';
import { readSecretFile, resolveSecret, type SecretSources } from '../secret-source.js';
import { pkcs11Error, ckrName } from './pkcs11-errors.js';
import { CK, type CkConstants } from './pkcs11-constants.js';
import { Pkcs11Library, type Pkcs11Handle, type TemplateAttribute } from './pkcs11-ffi.js';
import type { Pkcs11Uri } from './pkcs11-uri.js';
import { isTransientPkcs11Failure, withTransientRetry, type Pkcs11RetryEvent } from './transient-retry.js';

/** Context-specific logins in all when the module's answer is transient (waits of 50, 100, 200, 400 ms). */
const CONTEXT_LOGIN_ATTEMPTS = 5;

const MODULE_ENV = ['AIRSIGN_PKCS11_MODULE', 'COSIGN_PKCS11_MODULE_PATH'] as const;
const PIN_ENV = ['AIRSIGN_PKCS11_PIN', 'COSIGN_PKCS11_PIN'] as const;

export type Handle = Pkcs11Handle;

export interface TokenInfoSummary {
  slotId: bigint;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  loginRequired: boolean;
  initialized: boolean;
  pinLocked: boolean;
}

/** How to find a PIN when a login is needed. */
export interface PinOptions extends SecretSources {
  /** Inline PIN (URI pin-value). */
  pinValue?: string;
  /** File holding the PIN (URI pin-source, or --pin-file). */
  pinFile?: string;
}

/** A selector for a token: exact label, or slot id (slot id wins when both are given). */
export interface TokenSelector {
  label?: string;
  slotId?: bigint;
}

function slotIdOf(slot: Handle): bigint {
  return BigInt(slot);
}

function padTrim(text: string): string {
  return text.replace(/[\s\0]+$/, '');
}

export class Pkcs11Token {
  #session: Handle | undefined;
  #flags: number | undefined;
  #loggedIn = false;
  #login: Promise<void> | undefined;
  /** The PIN read for the login, kept for context-specific logins (CKA_ALWAYS_AUTHENTICATE keys). */
  #pin: string | undefined;
  #mechanisms: ReadonlySet<number> | null | undefined;

  constructor(
    readonly module: Pkcs11Module,
    readonly slot: Handle,
    readonly info: TokenInfoSummary,
  ) {}

  get label(): string {
    return this.info.label;
  }

  get loggedIn(): boolean {
    return this.#loggedIn;
  }

  /** The token's shared session (opened on first use, read/write when the token allows). */
  session(): Handle {
    if (this.#session) return this.#session;
    const { p11, lib } = this.module;
    try {
      this.#session = p11.C_OpenSession(this.slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    } catch (error) {
      if (ckrName(error) !== 'CKR_TOKEN_WRITE_PROTECTED') throw pkcs11Error(error, { operation: 'open session', token: this.label });
      try {
        this.#session = p11.C_OpenSession(this.slot, lib.CKF_SERIAL_SESSION);
      } catch (error2) {
        throw pkcs11Error(error2, { operation: 'open session', token: this.label });
      }
    }
    return this.#session;
  }

  /**
   * Logs in once per process. `pin` is where the PIN comes from, or a function giving it (so a login
   * retried on a token found again asks for the PIN only once: see findTokenAndLogIn).
   */
  ensureLogin(pin: PinOptions | (() => Promise<string>)): Promise<void> {
    if (this.#loggedIn) return Promise.resolve();
    this.#login ??= this.#doLogin(pin).finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  /** The token's current CKF_* flags (C_GetTokenInfo); remembered for the login. */
  flags(): number {
    try {
      this.#flags = this.module.p11.C_GetTokenInfo(this.slot).flags;
      return this.#flags;
    } catch (error) {
      throw pkcs11Error(error, { operation: 'read token info', token: this.label });
    }
  }

  /** True when the token reports a wrong user PIN entered since its last login, or the PIN locked. */
  wrongPinReported(): boolean {
    const { lib } = this.module;
    return ((this.#flags ?? this.flags()) & (lib.CKF_USER_PIN_COUNT_LOW | lib.CKF_USER_PIN_FINAL_TRY | lib.CKF_USER_PIN_LOCKED)) !== 0;
  }

  async #doLogin(pinSource: PinOptions | (() => Promise<string>)): Promise<void> {
    const { p11, lib } = this.module;
    const session = this.session();
    // The flags read when the token was found are milliseconds old; reading them again would be one
    // more C_GetTokenInfo for a concurrent rewrite of the token store to fail.
    const flags = this.#flags ?? this.flags();
    if (!(flags & lib.CKF_LOGIN_REQUIRED)) {
      this.#loggedIn = true;
      return;
    }
    if (flags & lib.CKF_USER_PIN_LOCKED) {
      throw airsignError('PKCS11_PIN_LOCKED', `the user PIN on token "${this.label}" is locked (CKR_PIN_LOCKED); the security officer must unlock it`, {
        details: { token: this.label },
      });
    }
    const pin = typeof pinSource === 'function' ? await pinSource() : await resolvePin(pinSource, this.label);
    this.#pin = pin;
    try {
      p11.C_Login(session, lib.CKU_USER, pin);
    } catch (error) {
      if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw pkcs11Error(error, { operation: 'login', token: this.label });
    }
    this.#loggedIn = true;
  }

  /**
   * The PIN for context-specific logins: the one the login read, else (a token that needs no login
   * for its session, with a key that wants a PIN per signature) read now, once.
   */
  async contextPin(pinSource: PinOptions): Promise<string> {
    this.#pin ??= await resolvePin(pinSource, this.label);
    return this.#pin;
  }

  /**
   * C_Login(CKU_CONTEXT_SPECIFIC) right after C_SignInit, for a CKA_ALWAYS_AUTHENTICATE key. SoftHSM
   * re-reads the token's files for it, and answers CKR_GENERAL_ERROR while another process rewrites
   * them (seen in 1 of 8 parallel signs, about one run in ten): such an answer is tried again a few
   * times, a short wait apart, with the signing operation still initialized. A wrong PIN
   * (CKR_PIN_INCORRECT) is never tried again.
   */
  contextLogin(session: Handle, pin: string, key: string): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.module.p11.C_Login(session, this.module.lib.CKU_CONTEXT_SPECIFIC, pin);
        return;
      } catch (error) {
        const failure = pkcs11Error(error, { operation: 'context-specific login', token: this.label, key });
        if (attempt >= CONTEXT_LOGIN_ATTEMPTS || !isTransientPkcs11Failure(failure)) throw failure;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25 * 2 ** attempt); // the sign call is synchronous
      }
    }
  }

  /**
   * The mechanisms the token can sign with (C_GetMechanismList, then CKF_SIGN from
   * C_GetMechanismInfo); undefined when the module cannot list them. Read once per token.
   */
  signMechanisms(): ReadonlySet<number> | undefined {
    if (this.#mechanisms !== undefined) return this.#mechanisms ?? undefined;
    const { p11, lib } = this.module;
    let listed: number[];
    try {
      listed = p11.C_GetMechanismList(this.slot);
    } catch {
      this.#mechanisms = null;
      return undefined;
    }
    const signing = listed.filter((mechanism) => {
      try {
        return (p11.C_GetMechanismInfo(this.slot, mechanism).flags & lib.CKF_SIGN) !== 0;
      } catch {
        return true; // no info: let C_SignInit decide
      }
    });
    this.#mechanisms = new Set(signing);
    return this.#mechanisms;
  }

  /** Finds object handles matching a template. */
  findObjects(template: TemplateAttribute[], max = 64): Handle[] {
    const { p11 } = this.module;
    const session = this.session();
    try {
      p11.C_FindObjectsInit(session, template);
      try {
        return p11.C_FindObjects(session, max);
      } finally {
        p11.C_FindObjectsFinal(session);
      }
    } catch (error) {
      throw pkcs11Error(error, { operation: 'find objects', token: this.label });
    }
  }

  /** Reads attributes; missing/sensitive ones come back undefined. */
  attributes(handle: Handle, types: number[]): Array<Buffer | undefined> {
    const { p11 } = this.module;
    return types.map((type) => {
      try {
        return p11.getAttribute(this.session(), handle, type);
      } catch {
        return undefined;
      }
    });
  }

  close(): void {
    const { p11 } = this.module;
    if (this.#session) {
      try {
        if (this.#loggedIn) p11.C_Logout(this.#session);
      } catch {
        /* closing anyway */
      }
      try {
        p11.C_CloseSession(this.#session);
      } catch {
        /* already closed */
      }
    }
    this.#session = undefined;
    this.#loggedIn = false;
    this.#pin = undefined;
  }
}

class Pkcs11Module {
  readonly #tokens = new Map<string, Pkcs11Token>();

  /** The PKCS#11 constants (CKA_*, CKO_*, CKM_* …). */
  readonly lib: CkConstants = CK;

  constructor(
    readonly path: string,
    readonly p11: Pkcs11Library,
    readonly initArgs?: string,
  ) {}

  /** Every slot that holds a token. */
  listTokens(): TokenInfoSummary[] {
    let slots: Handle[];
    try {
      slots = this.p11.C_GetSlotList(true);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'list slots' });
    }
    return slots.map((slot) => this.#summary(slot));
  }

  #summary(slot: Handle): TokenInfoSummary {
    let info;
    try {
      info = this.p11.C_GetTokenInfo(slot);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'read token info' });
    }
    const { lib } = this;
    return {
      slotId: slotIdOf(slot),
      label: padTrim(info.label),
      manufacturer: padTrim(info.manufacturerID),
      model: padTrim(info.model),
      serial: padTrim(info.serialNumber),
      loginRequired: Boolean(info.flags & lib.CKF_LOGIN_REQUIRED),
      initialized: Boolean(info.flags & lib.CKF_TOKEN_INITIALIZED),
      pinLocked: Boolean(info.flags & lib.CKF_USER_PIN_LOCKED),
    };
  }

  /** The token with exactly this label (or slot id); PKCS11_TOKEN_NOT_FOUND otherwise. */
  token(selector: TokenSelector): Pkcs11Token {
    const key = selector.slotId !== undefined ? `slot:${selector.slotId}` : `label:${selector.label ?? ''}`;
    const cached = this.#tokens.get(key);
    if (cached) {
      if (selector.label !== undefined && cached.label !== selector.label) {
        throw airsignError('PKCS11_TOKEN_NOT_FOUND', `the token in slot ${cached.info.slotId} is labelled "${cached.label}", not "${selector.label}"`);
      }
      return cached;
    }
    let slots: Handle[];
    try {
      slots = this.p11.C_GetSlotList(true);
    } catch (error) {
      throw pkcs11Error(error, { operation: 'list slots' });
    }
    const summaries = slots.map((slot) => ({ slot, info: this.#summary(slot) }));
    const match =
      selector.slotId !== undefined
        ? summaries.filter((s) => s.info.slotId === selector.slotId)
        : summaries.filter((s) => s.info.initialized && s.info.label === selector.label);
    const available = summaries.filter((s) => s.info.initialized).map((s) => s.info.label);
    const wanted = selector.slotId !== undefined ? `in slot ${selector.slotId}` : `labelled "${selector.label ?? ''}"`;
    if (match.length === 0) {
      throw airsignError('PKCS11_TOKEN_NOT_FOUND', `no token ${wanted} (tokens: ${available.length > 0 ? available.map((l) => `"${l}"`).join(', ') : 'none'})`, {
        details: { wanted: selector.label ?? selector.slotId?.toString() ?? null, available },
      });
    }
    if (match.length > 1) {
      throw airsignError('PKCS11_TOKEN_AMBIGUOUS', `${match.length} tokens are ${wanted}; select one with slot-id`, {
        details: { slots: match.map((m) => m.info.slotId.toString()) },
      });
    }
    const found = match[0] as { slot: Handle; info: TokenInfoSummary };
    if (selector.slotId !== undefined && selector.label !== undefined && found.info.label !== selector.label) {
      throw airsignError('PKCS11_TOKEN_NOT_FOUND', `the token in slot ${selector.slotId} is labelled "${found.info.label}", not "${selector.label}"`);
    }
    // Reuse one Pkcs11Token per slot even if reached by label and by slot id.
    const bySlot = [...this.#tokens.values()].find((t) => t.info.slotId === found.info.slotId);
    const token = bySlot ?? new Pkcs11Token(this, found.slot, found.info);
    this.#tokens.set(key, token);
    return token;
  }

  /** Closes every token session and runs C_Finalize (ignored when the module is not initialized). */
  #closeAndFinalize(): void {
    for (const token of new Set(this.#tokens.values())) token.close();
    this.#tokens.clear();
    try {
      this.p11.C_Finalize();
    } catch {
      /* not initialized */
    }
  }

  /**
   * Closes every session and runs C_Finalize + C_Initialize, so the module reads its token store
   * again (SoftHSM scans its token files at C_Initialize). Used between retries of a token's discovery
   * and login; every Pkcs11Token found before is closed.
   */
  reinitialize(): void {
    this.#closeAndFinalize();
    try {
      this.p11.C_Initialize(this.initArgs);
    } catch (error) {
      if (ckrName(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw pkcs11Error(error, { operation: 'initialize' });
    }
  }

  finalize(): void {
    this.#closeAndFinalize();
    try {
      this.p11.close();
    } catch {
      /* already unloaded */
    }
  }
}

const modules = new Map<string, Pkcs11Module>();

/**
 * Loads and initializes a module once per process (and init string). It stays initialized (and its
 * tokens logged in) after every KeyBackend is closed, so later keys need no second login; call
 * finalizePkcs11Modules() before the process ends (the CLI does it on exit). `initArgs` is the
 * module's init string, passed as C_Initialize's pReserved (NSS softokn needs its configuration
 * there; p11-kit calls it x-init-reserved).
 */
export function getPkcs11Module(path: string, initArgs?: string): Pkcs11Module {
  const cacheKey = initArgs === undefined ? path : `${path}\0${initArgs}`;
  const cached = modules.get(cacheKey);
  if (cached) return cached;
  let isFile: boolean;
  try {
    isFile = existsSync(path) && statSync(path).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    throw airsignError('PKCS11_MODULE_NOT_FOUND', `PKCS#11 module not found: ${path}${isAbsolute(path) ? '' : ' (give an absolute path)'}`, {
      details: { modulePath: path },
    });
  }
  let p11: Pkcs11Library;
  try {
    p11 = new Pkcs11Library(path);
  } catch (error) {
    if (isAirsignError(error)) throw error; // koffi itself is missing: PKCS11_SUPPORT_MISSING
    throw airsignError('PKCS11_MODULE_LOAD_FAILED', `cannot load PKCS#11 module ${path} (not a PKCS#11 library for this platform?)`, {
      details: { modulePath: path },
      cause: error,
    });
  }
  try {
    p11.C_Initialize(initArgs);
  } catch (error) {
    if (ckrName(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      try {
        p11.close();
      } catch {
        /* ignore */
      }
      const ckr = ckrName(error) ?? 'unexpected error';
      throw airsignError('PKCS11_INIT_FAILED', `PKCS#11 module ${path} failed to initialize (C_Initialize: ${ckr}${initHint(path, ckr, initArgs)})`, {
        details: { modulePath: path, ckr },
        cause: error,
      });
    }
  }
  const module = new Pkcs11Module(path, p11, initArgs);
  modules.set(cacheKey, module);
  return module;
}

/** What to check when C_Initialize fails, for the module at hand (SoftHSM's hint only for SoftHSM). */
function initHint(path: string, ckr: string, initArgs: string | undefined): string {
  const name = basename(path).toLowerCase();
  if (name.includes('softhsm')) return '; check its configuration file, SOFTHSM2_CONF';
  if (name.includes('softokn') || name.includes('nss')) {
    return initArgs === undefined ? "; NSS softokn needs its init string: module-init-args=configdir='sql:<dir>' … in the URI, or --module-init-args" : '; check the init string (module-init-args)';
  }
  if (ckr === 'CKR_ARGUMENTS_BAD' && initArgs === undefined) return '; does the module need an init string (module-init-args)?';
  if (ckr === 'CKR_DEVICE_ERROR' || ckr === 'CKR_GENERAL_ERROR') return "; is the module's service or device reachable? check its configuration";
  return "; check the module's configuration";
}

/** Logs out, closes sessions and finalizes every module: call it before exit (the CLI installs it as an exit hook). */
export function finalizePkcs11Modules(): void {
  for (const module of modules.values()) module.finalize();
  modules.clear();
}

/** Module path from the URI, then AIRSIGN_PKCS11_MODULE, then COSIGN_PKCS11_MODULE_PATH. */
export function resolveModulePath(fromUri: string | undefined, env: NodeJS.ProcessEnv = {}): string {
  if (fromUri !== undefined && fromUri !== '') return fromUri;
  for (const name of MODULE_ENV) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  throw airsignError('PKCS11_MODULE_REQUIRED', `no PKCS#11 module given (use ?module-path=… in the URI, options.keyOptions.modulePath, or set ${MODULE_ENV.join(' or ')})`);
}

/** PIN from pin-value, a PIN file, AIRSIGN_PKCS11_PIN / COSIGN_PKCS11_PIN in `env`, or `promptSecret`. */
async function resolvePin(options: PinOptions, tokenLabel: string): Promise<string> {
  if (options.pinValue !== undefined) return options.pinValue;
  if (options.pinFile !== undefined) return readSecretFile(options.pinFile, 'PIN', options.trailingSpaceIsSecret === true ? { trailingSpaceIsSecret: true } : {});
  return resolveSecret({
    what: `PIN for token "${tokenLabel}"`,
    missingCode: 'PKCS11_PIN_REQUIRED',
    envNames: PIN_ENV,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.promptSecret === undefined ? {} : { promptSecret: options.promptSecret }),
  });
}

/** True when some PIN source other than a prompt is available (for optional logins, e.g. key list). */
export function hasPinSource(options: PinOptions): boolean {
  const env = options.env ?? {};
  return options.pinValue !== undefined || options.pinFile !== undefined || PIN_ENV.some((n) => (env[n] ?? '') !== '');
}

/**
 * The token a parsed `pkcs11:` URI names, logged in (once per process): module from the URI,
 * `modulePath` or the environment, token by label or slot id, PIN from pin-value, pin-source, `pinFile`, the
 * environment or a prompt. Shared by every operation that acts on a token object.
 */
export async function openTokenForUri(
  parsed: Pkcs11Uri,
  options: SecretSources & { pinFile?: string; modulePath?: string; moduleInitArgs?: string; onRetry?: (event: Pkcs11RetryEvent) => void } = {},
): Promise<{ module: Pkcs11Module; token: Pkcs11Token; pin: PinOptions }> {
  const env = options.env ?? {};
  const module = getPkcs11Module(resolveModulePath(parsed.modulePath || options.modulePath, env), parsed.moduleInitArgs ?? options.moduleInitArgs);
  const selector = {
    ...(parsed.token === undefined ? {} : { label: parsed.token }),
    ...(parsed.slotId === undefined ? {} : { slotId: parsed.slotId }),
  };
  const pin: PinOptions = {
    env,
    ...(parsed.pinValue === undefined ? {} : { pinValue: parsed.pinValue }),
    ...(parsed.pinSource !== undefined ? { pinFile: parsed.pinSource } : options.pinFile === undefined ? {} : { pinFile: options.pinFile }),
    ...(options.promptSecret === undefined ? {} : { promptSecret: options.promptSecret }),
    ...(options.trailingSpaceIsSecret === undefined ? {} : { trailingSpaceIsSecret: options.trailingSpaceIsSecret }),
  };
  const token = await findTokenAndLogIn(module, selector, { pin, openSession: true, ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }) });
  return { module, token, pin };
}

/** How findTokenAndLogIn finds and logs in. */
export interface FindTokenOptions {
  /** Where the PIN comes from; without it the token is found but not logged in. */
  pin?: PinOptions;
  /** Open the token's session while finding it (a failure there is retried the same way). */
  openSession?: boolean;
  /** Called before each retry (the CLI prints it with --debug). */
  onRetry?: (event: Pkcs11RetryEvent) => void;
}

/**
 * Finds a token and, given a PIN source, logs in, riding out a token store that another process is
 * rewriting (see transient-retry.ts). Discovery, token info and the session are retried after
 * re-initializing the module. A login answered the same way (SoftHSM: CKR_GENERAL_ERROR because it
 * could not read the token's flags, before it looked at the PIN; 1 of 32 concurrent CI jobs) is
 * retried on the token found again, but only while that token reports no wrong PIN entered since its
 * last login, so a module that counted the attempt anyway is never asked twice. The PIN is asked for
 * once. CKR_PIN_INCORRECT is not transient: never retried.
 */
export async function findTokenAndLogIn(module: Pkcs11Module, selector: TokenSelector, options: FindTokenOptions = {}): Promise<Pkcs11Token> {
  const report = options.onRetry === undefined ? {} : { onRetry: options.onRetry };
  const find = () =>
    withTransientRetry(
      'find token',
      () => {
        const found = module.token(selector);
        if (options.openSession === true) found.session();
        found.flags();
        return found;
      },
      { beforeRetry: () => module.reinitialize(), ...report },
    );
  let token = await find();
  const pinOptions = options.pin;
  if (pinOptions === undefined) return token;
  let pin: Promise<string> | undefined;
  const pinOnce = () => (pin ??= resolvePin(pinOptions, token.label));
  let wrongPinReported = false;
  try {
    await withTransientRetry('login', () => token.ensureLogin(pinOnce), {
      beforeRetry: async () => {
        module.reinitialize();
        token = await find();
        wrongPinReported = token.wrongPinReported();
        return !wrongPinReported;
      },
      ...report,
    });
  } catch (error) {
    if (!wrongPinReported || !isAirsignError(error)) throw error;
    throw airsignError(error.code, `${error.message}; not tried again: the token reports a wrong PIN entered since its last login`, {
      details: error.details,
      cause: error.cause,
    });
  }
  return token;
}
