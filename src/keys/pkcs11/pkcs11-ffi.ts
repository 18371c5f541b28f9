/**
 * The PKCS#11 calls, made through koffi: a module is loaded, its function table is read once with
 * C_GetFunctionList, and every call goes through that table. This is the only file that knows the
 * platform's C layout: CK_ULONG is C `unsigned long` (8 bytes on Linux/macOS 64-bit, 4 on Windows),
 * and Windows modules pack their structures to 1 byte (PKCS#11's `#pragma pack(1)`). Calls are
 * synchronous: a C_SignInit/C_Sign pair on a session never interleaves with another.
 */
import { loadKoffi, type Koffi } from './koffi-loader.js';
import { CK, ckrNameOf } from './pkcs11-constants.js';

type TypeObject = ReturnType<Koffi['struct']>;
type NativeFunction = (...args: unknown[]) => unknown;

/** A CK_ULONG handle (slot, session or object): a number, or a bigint beyond 2^53. */
export type Pkcs11Handle = number | bigint;

export type AttributeValue = number | boolean | string | Uint8Array;
export interface TemplateAttribute {
  type: number;
  value: AttributeValue;
}

/** A mechanism for C_SignInit; `pss` gives CK_RSA_PKCS_PSS_PARAMS. */
export interface MechanismSpec {
  mechanism: number;
  pss?: { hashAlg: number; mgf: number; saltLength: number };
}

export interface TokenInfo {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}

export interface MechanismInfo {
  minKeySize: number;
  maxKeySize: number;
  flags: number;
}

/** A PKCS#11 function answered something other than CKR_OK. */
export class Pkcs11CallError extends Error {
  readonly ckr: string;
  constructor(
    readonly fn: string,
    readonly rv: number,
  ) {
    const ckr = ckrNameOf(rv);
    super(`${fn} returned ${ckr}`);
    this.name = 'Pkcs11CallError';
    this.ckr = ckr;
  }
}

/** Function table order (struct CK_FUNCTION_LIST, PKCS#11 2.40); airsign calls a subset. */
const FUNCTION_NAMES = [
  'C_Initialize', 'C_Finalize', 'C_GetInfo', 'C_GetFunctionList', 'C_GetSlotList', 'C_GetSlotInfo', 'C_GetTokenInfo',
  'C_GetMechanismList', 'C_GetMechanismInfo', 'C_InitToken', 'C_InitPIN', 'C_SetPIN', 'C_OpenSession', 'C_CloseSession',
  'C_CloseAllSessions', 'C_GetSessionInfo', 'C_GetOperationState', 'C_SetOperationState', 'C_Login', 'C_Logout',
  'C_CreateObject', 'C_CopyObject', 'C_DestroyObject', 'C_GetObjectSize', 'C_GetAttributeValue', 'C_SetAttributeValue',
  'C_FindObjectsInit', 'C_FindObjects', 'C_FindObjectsFinal', 'C_EncryptInit', 'C_Encrypt', 'C_EncryptUpdate',
  'C_EncryptFinal', 'C_DecryptInit', 'C_Decrypt', 'C_DecryptUpdate', 'C_DecryptFinal', 'C_DigestInit', 'C_Digest',
  'C_DigestUpdate', 'C_DigestKey', 'C_DigestFinal', 'C_SignInit', 'C_Sign',
] as const;

/** The prototypes of the functions airsign calls (CK_RV is a CK_ULONG). */
const PROTOTYPES = {
  C_Initialize: ['void *'],
  C_Finalize: ['void *'],
  C_GetSlotList: ['uint8_t', 'void *', 'void *'],
  C_GetTokenInfo: ['CK_ULONG', 'void *'],
  C_GetMechanismList: ['CK_ULONG', 'void *', 'void *'],
  C_GetMechanismInfo: ['CK_ULONG', 'CK_ULONG', 'void *'],
  C_OpenSession: ['CK_ULONG', 'CK_ULONG', 'void *', 'void *', 'void *'],
  C_CloseSession: ['CK_ULONG'],
  C_Login: ['CK_ULONG', 'CK_ULONG', 'void *', 'CK_ULONG'],
  C_Logout: ['CK_ULONG'],
  C_CreateObject: ['CK_ULONG', 'void *', 'CK_ULONG', 'void *'],
  C_DestroyObject: ['CK_ULONG', 'CK_ULONG'],
  C_GetAttributeValue: ['CK_ULONG', 'CK_ULONG', 'void *', 'CK_ULONG'],
  C_FindObjectsInit: ['CK_ULONG', 'void *', 'CK_ULONG'],
  C_FindObjects: ['CK_ULONG', 'void *', 'CK_ULONG', 'void *'],
  C_FindObjectsFinal: ['CK_ULONG'],
  C_SignInit: ['CK_ULONG', 'void *', 'CK_ULONG'],
  C_Sign: ['CK_ULONG', 'void *', 'CK_ULONG', 'void *', 'void *'],
} as const satisfies Partial<Record<(typeof FUNCTION_NAMES)[number], readonly string[]>>;

type CalledFunction = keyof typeof PROTOTYPES;

interface Layout {
  koffi: Koffi;
  ulong: TypeObject;
  ulongSize: number;
  functionList: TypeObject;
  initArgs: TypeObject;
  tokenInfo: TypeObject;
  mechanismInfo: TypeObject;
  attribute: TypeObject;
  mechanism: TypeObject;
  pssParams: TypeObject;
  protos: Record<CalledFunction, TypeObject>;
}

let layout: Layout | undefined;

/** The C types, declared once per process with this platform's CK_ULONG and packing. */
function platformLayout(): Layout {
  if (layout) return layout;
  const koffi = loadKoffi();
  const ulong = koffi.alias('CK_ULONG', 'unsigned long');
  // Windows: PKCS#11 headers wrap every structure in #pragma pack(push, cryptoki, 1).
  const record = (def: Parameters<Koffi['struct']>[0] & object) => (process.platform === 'win32' ? koffi.pack(def) : koffi.struct(def));
  const version = record({ major: 'uint8_t', minor: 'uint8_t' });
  const functionList = record({ version, ...Object.fromEntries(FUNCTION_NAMES.map((name) => [name, 'void *'])) });
  const bytes = (n: number) => koffi.array('uint8_t', n, 'Typed');
  layout = {
    koffi,
    ulong,
    ulongSize: koffi.sizeof(ulong),
    functionList,
    initArgs: record({ createMutex: 'void *', destroyMutex: 'void *', lockMutex: 'void *', unlockMutex: 'void *', flags: ulong, reserved: 'void *' }),
    tokenInfo: record({
      label: bytes(32), manufacturerID: bytes(32), model: bytes(16), serialNumber: bytes(16), flags: ulong,
      maxSessionCount: ulong, sessionCount: ulong, maxRwSessionCount: ulong, rwSessionCount: ulong, maxPinLen: ulong, minPinLen: ulong,
      totalPublicMemory: ulong, freePublicMemory: ulong, totalPrivateMemory: ulong, freePrivateMemory: ulong,
      hardwareVersion: version, firmwareVersion: version, utcTime: bytes(16),
    }),
    mechanismInfo: record({ minKeySize: ulong, maxKeySize: ulong, flags: ulong }),
    attribute: record({ type: ulong, pValue: 'void *', ulValueLen: ulong }),
    mechanism: record({ mechanism: ulong, pParameter: 'void *', ulParameterLen: ulong }),
    pssParams: record({ hashAlg: ulong, mgf: ulong, sLen: ulong }),
    protos: Object.fromEntries(
      Object.entries(PROTOTYPES).map(([name, args]) => [name, koffi.proto(ulong, args.map((a) => (a === 'CK_ULONG' ? ulong : a)))]),
    ) as Record<CalledFunction, TypeObject>,
  };
  return layout;
}

/** A CK_ULONG attribute value (e.g. CKA_KEY_TYPE) as a number; undefined when empty. */
export function ulongFromBytes(value: Uint8Array | undefined): number | undefined {
  if (value === undefined || value.length === 0) return undefined;
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // A module may give 4 bytes where CK_ULONG has 8 (or the reverse): read what is there.
  return value.length >= 8 ? Number(view.readBigUInt64LE(0)) : view.readUInt32LE(0);
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

function asNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/** Native memory for one call, freed by the caller. */
class NativeBlock {
  readonly pointer: bigint;
  readonly bytes: Uint8Array;
  constructor(
    readonly koffi: Koffi,
    readonly size: number,
  ) {
    this.pointer = koffi.alloc('uint8_t', Math.max(size, 1)) as bigint;
    this.bytes = new Uint8Array(koffi.view(this.pointer, Math.max(size, 1)));
    this.bytes.fill(0);
  }
  free(): void {
    this.bytes.fill(0);
    this.koffi.free(this.pointer);
  }
}

function valueBytes(value: AttributeValue, l: Layout): Uint8Array {
  if (typeof value === 'boolean') return Uint8Array.of(value ? 1 : 0);
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (typeof value === 'number') {
    const out = Buffer.alloc(l.ulongSize);
    if (l.ulongSize === 8) out.writeBigUInt64LE(BigInt(value));
    else out.writeUInt32LE(value);
    return out;
  }
  return value;
}

/** One loaded PKCS#11 module and its function table. */
export class Pkcs11Library {
  readonly #l: Layout;
  readonly #handle: ReturnType<Koffi['load']>;
  readonly #fn: Record<CalledFunction, NativeFunction | undefined>;
  readonly #mechanisms = new Map<string, NativeBlock>();
  readonly #ulongScratch: Buffer;
  #initArgs: NativeBlock | undefined;
  #initString: NativeBlock | undefined;

  /** Loads the library at `path` and reads its function table; throws when that fails. */
  constructor(readonly path: string) {
    const l = platformLayout();
    this.#l = l;
    this.#handle = l.koffi.load(path);
    try {
      const getFunctionList = this.#handle.func('C_GetFunctionList', l.ulong, [l.koffi.out(l.koffi.pointer('void *'))]);
      const out: unknown[] = [null];
      const rv = asNumber(getFunctionList(out));
      if (rv !== 0) throw new Pkcs11CallError('C_GetFunctionList', rv);
      if (out[0] === null || out[0] === 0n) throw new Error('C_GetFunctionList gave no function list');
      const table = l.koffi.decode(out[0], l.functionList) as Record<string, unknown>;
      this.#fn = Object.fromEntries(
        Object.keys(PROTOTYPES).map((name) => {
          const pointer = table[name];
          const usable = pointer !== null && pointer !== undefined && pointer !== 0n;
          return [name, usable ? (l.koffi.decode(pointer, l.protos[name as CalledFunction]) as NativeFunction) : undefined];
        }),
      ) as Record<CalledFunction, NativeFunction | undefined>;
    } catch (error) {
      this.#handle.unload();
      throw error;
    }
    this.#ulongScratch = Buffer.alloc(l.ulongSize);
  }

  #call(name: CalledFunction, ...args: unknown[]): void {
    const fn = this.#fn[name];
    if (fn === undefined) throw new Pkcs11CallError(name, 0x54 /* CKR_FUNCTION_NOT_SUPPORTED */);
    const rv = asNumber(fn(...args));
    if (rv !== 0) throw new Pkcs11CallError(name, rv);
  }

  #readUlong(buffer: Uint8Array, index = 0): number | bigint {
    const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (this.#l.ulongSize === 4) return view.readUInt32LE(index * 4);
    const value = view.readBigUInt64LE(index * 8);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  #ulongBuffer(count: number): Buffer {
    return Buffer.alloc(Math.max(count, 1) * this.#l.ulongSize);
  }

  /**
   * C_Initialize with CKF_OS_LOCKING_OK (the module may use the OS's locks; p11-kit's RPC client
   * requires it) and, when given, `initString` as pReserved (NSS softokn's configuration string).
   */
  C_Initialize(initString?: string): void {
    const l = this.#l;
    this.#releaseInitArgs();
    const args = new NativeBlock(l.koffi, l.koffi.sizeof(l.initArgs));
    let reserved: bigint | null = null;
    if (initString !== undefined) {
      const encoded = new TextEncoder().encode(initString);
      this.#initString = new NativeBlock(l.koffi, encoded.length + 1);
      this.#initString.bytes.set(encoded);
      reserved = this.#initString.pointer;
    }
    l.koffi.encode(args.pointer, l.initArgs, { createMutex: null, destroyMutex: null, lockMutex: null, unlockMutex: null, flags: CK.CKF_OS_LOCKING_OK, reserved });
    this.#initArgs = args;
    this.#call('C_Initialize', args.pointer);
  }

  C_Finalize(): void {
    this.#call('C_Finalize', null);
    this.#releaseInitArgs();
  }

  #releaseInitArgs(): void {
    this.#initArgs?.free();
    this.#initString?.free();
    this.#initArgs = undefined;
    this.#initString = undefined;
  }

  /** Unloads the library (after C_Finalize). */
  close(): void {
    for (const block of this.#mechanisms.values()) block.free();
    this.#mechanisms.clear();
    this.#releaseInitArgs();
    this.#handle.unload();
  }

  #list(name: 'C_GetSlotList' | 'C_GetMechanismList', first: unknown): Array<number | bigint> {
    const count = this.#ulongBuffer(1);
    // The count may grow between the two calls (a token inserted): ask again on CKR_BUFFER_TOO_SMALL.
    for (let attempt = 0; ; attempt++) {
      this.#call(name, first, null, count);
      const n = Number(this.#readUlong(count));
      const list = this.#ulongBuffer(n);
      try {
        this.#call(name, first, list, count);
      } catch (error) {
        if (attempt < 3 && error instanceof Pkcs11CallError && error.ckr === 'CKR_BUFFER_TOO_SMALL') continue;
        throw error;
      }
      const got = Number(this.#readUlong(count));
      return Array.from({ length: got }, (_, i) => this.#readUlong(list, i));
    }
  }

  C_GetSlotList(tokenPresent: boolean): Pkcs11Handle[] {
    return this.#list('C_GetSlotList', tokenPresent ? 1 : 0);
  }

  C_GetTokenInfo(slot: Pkcs11Handle): TokenInfo {
    const l = this.#l;
    const block = new NativeBlock(l.koffi, l.koffi.sizeof(l.tokenInfo));
    try {
      this.#call('C_GetTokenInfo', slot, block.pointer);
      const info = l.koffi.decode(block.pointer, l.tokenInfo) as Record<string, Uint8Array | number | bigint>;
      return {
        label: text(info.label as Uint8Array),
        manufacturerID: text(info.manufacturerID as Uint8Array),
        model: text(info.model as Uint8Array),
        serialNumber: text(info.serialNumber as Uint8Array),
        flags: asNumber(info.flags),
      };
    } finally {
      block.free();
    }
  }

  C_GetMechanismList(slot: Pkcs11Handle): number[] {
    return this.#list('C_GetMechanismList', slot).map(asNumber);
  }

  C_GetMechanismInfo(slot: Pkcs11Handle, mechanism: number): MechanismInfo {
    const l = this.#l;
    const block = new NativeBlock(l.koffi, l.koffi.sizeof(l.mechanismInfo));
    try {
      this.#call('C_GetMechanismInfo', slot, mechanism, block.pointer);
      const info = l.koffi.decode(block.pointer, l.mechanismInfo) as Record<string, number | bigint>;
      return { minKeySize: asNumber(info.minKeySize), maxKeySize: asNumber(info.maxKeySize), flags: asNumber(info.flags) };
    } finally {
      block.free();
    }
  }

  C_OpenSession(slot: Pkcs11Handle, flags: number): Pkcs11Handle {
    const out = this.#ulongBuffer(1);
    this.#call('C_OpenSession', slot, flags, null, null, out);
    return this.#readUlong(out);
  }

  C_CloseSession(session: Pkcs11Handle): void {
    this.#call('C_CloseSession', session);
  }

  /** Logs in as `userType`; the PIN bytes are wiped after the call. */
  C_Login(session: Pkcs11Handle, userType: number, pin: string): void {
    const bytes = Buffer.from(pin, 'utf8');
    try {
      this.#call('C_Login', session, userType, bytes.length > 0 ? bytes : null, bytes.length);
    } finally {
      bytes.fill(0);
    }
  }

  C_Logout(session: Pkcs11Handle): void {
    this.#call('C_Logout', session);
  }

  /** A CK_ATTRIBUTE array with its values, in one native block. */
  #template(template: readonly TemplateAttribute[]): NativeBlock {
    const l = this.#l;
    const size = l.koffi.sizeof(l.attribute);
    const values = template.map((a) => valueBytes(a.value, l));
    const block = new NativeBlock(l.koffi, size * template.length + values.reduce((n, v) => n + v.length, 0));
    let offset = size * template.length;
    template.forEach((attribute, i) => {
      const value = values[i] as Uint8Array;
      block.bytes.set(value, offset);
      l.koffi.encode(block.pointer, i * size, l.attribute, { type: attribute.type, pValue: block.pointer + BigInt(offset), ulValueLen: value.length });
      offset += value.length;
    });
    return block;
  }

  C_FindObjectsInit(session: Pkcs11Handle, template: readonly TemplateAttribute[]): void {
    const block = this.#template(template);
    try {
      this.#call('C_FindObjectsInit', session, block.pointer, template.length);
    } finally {
      block.free();
    }
  }

  C_FindObjects(session: Pkcs11Handle, max: number): Pkcs11Handle[] {
    const list = this.#ulongBuffer(max);
    const count = this.#ulongBuffer(1);
    this.#call('C_FindObjects', session, list, max, count);
    return Array.from({ length: Number(this.#readUlong(count)) }, (_, i) => this.#readUlong(list, i));
  }

  C_FindObjectsFinal(session: Pkcs11Handle): void {
    this.#call('C_FindObjectsFinal', session);
  }

  /** One attribute's value; undefined when the object has none or it is sensitive/unavailable. */
  getAttribute(session: Pkcs11Handle, object: Pkcs11Handle, type: number): Buffer | undefined {
    const l = this.#l;
    const size = l.koffi.sizeof(l.attribute);
    const query = new NativeBlock(l.koffi, size);
    let length: number;
    try {
      l.koffi.encode(query.pointer, l.attribute, { type, pValue: null, ulValueLen: 0 });
      this.#call('C_GetAttributeValue', session, object, query.pointer, 1);
      const got = l.koffi.decode(query.pointer, l.attribute) as { ulValueLen: number | bigint };
      // CK_UNAVAILABLE_INFORMATION is (CK_ULONG)-1.
      if (BigInt(got.ulValueLen) >= (l.ulongSize === 8 ? 0xffffffffffffffffn : 0xffffffffn)) return undefined;
      length = Number(got.ulValueLen);
    } finally {
      query.free();
    }
    const block = new NativeBlock(l.koffi, size + length);
    try {
      l.koffi.encode(block.pointer, l.attribute, { type, pValue: block.pointer + BigInt(size), ulValueLen: length });
      this.#call('C_GetAttributeValue', session, object, block.pointer, 1);
      const got = l.koffi.decode(block.pointer, l.attribute) as { ulValueLen: number | bigint };
      return Buffer.from(block.bytes.subarray(size, size + Math.min(Number(got.ulValueLen), length)));
    } finally {
      block.free();
    }
  }

  C_CreateObject(session: Pkcs11Handle, template: readonly TemplateAttribute[]): Pkcs11Handle {
    const block = this.#template(template);
    const out = this.#ulongBuffer(1);
    try {
      this.#call('C_CreateObject', session, block.pointer, template.length, out);
    } finally {
      block.free();
    }
    return this.#readUlong(out);
  }

  C_DestroyObject(session: Pkcs11Handle, object: Pkcs11Handle): void {
    this.#call('C_DestroyObject', session, object);
  }

  /** The CK_MECHANISM for `spec` in native memory, built once per library and kept until close(). */
  #mechanism(spec: MechanismSpec): bigint {
    const key = spec.pss === undefined ? `${spec.mechanism}` : `${spec.mechanism}/${spec.pss.hashAlg}/${spec.pss.mgf}/${spec.pss.saltLength}`;
    const cached = this.#mechanisms.get(key);
    if (cached) return cached.pointer;
    const l = this.#l;
    const mechanismSize = l.koffi.sizeof(l.mechanism);
    const parameterSize = spec.pss === undefined ? 0 : l.koffi.sizeof(l.pssParams);
    const block = new NativeBlock(l.koffi, mechanismSize + parameterSize);
    if (spec.pss !== undefined) {
      l.koffi.encode(block.pointer, mechanismSize, l.pssParams, { hashAlg: spec.pss.hashAlg, mgf: spec.pss.mgf, sLen: spec.pss.saltLength });
    }
    l.koffi.encode(block.pointer, l.mechanism, {
      mechanism: spec.mechanism,
      pParameter: spec.pss === undefined ? null : block.pointer + BigInt(mechanismSize),
      ulParameterLen: parameterSize,
    });
    this.#mechanisms.set(key, block);
    return block.pointer;
  }

  C_SignInit(session: Pkcs11Handle, mechanism: MechanismSpec, key: Pkcs11Handle): void {
    this.#call('C_SignInit', session, this.#mechanism(mechanism), key);
  }

  /** C_Sign into `out` (its length is the most the signature may take); returns the signature's bytes. */
  C_Sign(session: Pkcs11Handle, data: Uint8Array, out: Buffer): Buffer {
    const length = this.#ulongScratch;
    if (this.#l.ulongSize === 8) length.writeBigUInt64LE(BigInt(out.length));
    else length.writeUInt32LE(out.length);
    this.#call('C_Sign', session, data, data.length, out, length);
    return out.subarray(0, Number(this.#readUlong(length)));
  }
}
