/**
 * Page-aligned buffers for direct I/O. O_DIRECT writes must come from memory aligned to the
 * device's block size, and Node gives no way to ask for (or see) the address of a Buffer. A
 * WebAssembly.Memory is mapped by V8 on page boundaries, so views into it at multiples of
 * DIRECT_IO_ALIGNMENT are aligned. Such buffers are remembered, so a writer can tell from a chunk
 * alone whether it may go to the disk directly (see output-file.ts); anything else is written
 * through the page cache as usual.
 */

/** Alignment used for direct I/O memory, file offsets and lengths: a page, which covers 512- and 4096-byte sectors. */
export const DIRECT_IO_ALIGNMENT = 4096;

const WASM_PAGE = 65536;
/** The one WebAssembly API we use (the project's TypeScript lib has no WebAssembly types). */
type WasmMemoryConstructor = new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer };
const WasmMemory = (globalThis as { WebAssembly?: { Memory: WasmMemoryConstructor } }).WebAssembly?.Memory;
const alignedBackings = new WeakSet<ArrayBufferLike>();

/**
 * `count` buffers of `size` bytes each (size is a multiple of DIRECT_IO_ALIGNMENT), each starting
 * on a page boundary. Falls back to ordinary (unaligned) buffers when WebAssembly memory is not
 * available, e.g. under an address-space limit; writers then simply do not use direct I/O.
 * With `shared`, the memory is a SharedArrayBuffer (as is the fallback's), so worker threads can
 * read into it (blob-hash.ts).
 */
export function allocateAlignedBuffers(count: number, size: number, options: { shared?: boolean } = {}): Buffer[] {
  if (size <= 0 || size % DIRECT_IO_ALIGNMENT !== 0) throw new RangeError(`aligned buffer size ${size} is not a positive multiple of ${DIRECT_IO_ALIGNMENT}`);
  const stride = Math.ceil(size / WASM_PAGE) * WASM_PAGE;
  const pages = (stride * count) / WASM_PAGE;
  let backing: ArrayBufferLike | undefined;
  try {
    if (WasmMemory !== undefined) backing = new WasmMemory(options.shared === true ? { initial: pages, maximum: pages, shared: true } : { initial: pages }).buffer;
  } catch {
    backing = undefined;
  }
  if (backing === undefined && options.shared === true) {
    const plain = new SharedArrayBuffer(size * count);
    return Array.from({ length: count }, (_, i) => Buffer.from(plain, i * size, size));
  }
  if (backing === undefined) return Array.from({ length: count }, () => Buffer.allocUnsafeSlow(size));
  alignedBackings.add(backing);
  return Array.from({ length: count }, (_, i) => Buffer.from(backing, i * stride, size));
}

/** True when `chunk` starts on an aligned address, so direct I/O may write it. */
export function isAlignedMemory(chunk: Uint8Array): boolean {
  return alignedBackings.has(chunk.buffer) && chunk.byteOffset % DIRECT_IO_ALIGNMENT === 0;
}
