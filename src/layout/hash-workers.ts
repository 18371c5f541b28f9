/**
 * Worker threads that read and hash blob data, so the hash (the one CPU-heavy step of every
 * command that moves layers) runs on its own core while the main thread drives the writes, and
 * verify hashes two blobs at once. Each worker reads a file range through the descriptor the main
 * thread opened (descriptors belong to the process) in 1 MiB pieces and hashes each piece while it
 * is still in the CPU's cache: the read-then-hash loop of `openssl dgst`. For a copy, the pieces
 * land in a slot of shared memory the main thread then writes out; nothing is copied between
 * threads.
 *
 * Workers start only when a large blob is hashed (a command on a small or stripped tar starts none),
 * at most WORKERS of them (COPY_WORKERS for copies), and do not keep the process alive while
 * idle. Only blob-hash.ts uses this module: all hashing of blob data goes through that one helper.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';

/** Hashing threads at most: two blobs hashed at once where there are two cores (verify's reads). */
const WORKERS = Math.max(1, Math.min(2, availableParallelism()));
/**
 * Of those, the ones that host copies (startWorkerStream): one core is left to the main thread,
 * whose writes cost the kernel as much CPU as the hash (copying into the page cache). On two cores
 * one copying worker is faster than two (strip of 2 GiB to tmpfs: 2.8 s against 3.5 s) and saves a
 * V8 isolate (about 9 MiB); two copies at once then share it.
 */
const COPY_WORKERS = Math.max(1, Math.min(WORKERS, availableParallelism() - 1));

/** The worker's code, run as a CommonJS script (works the same from dist/, the bundle and a single-file build). */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync } = require('node:fs');
const PIECE = 1024 * 1024;
const streams = new Map();
let scratch;
// Reads length bytes at position into view (from its start), hashing each piece; returns bytes read.
function readHashing(hash, fd, view, length, position) {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, view, done, Math.min(PIECE, length - done), position + done);
    if (n === 0) break;
    hash.update(view.subarray(done, done + n));
    done += n;
  }
  return done;
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'hash') {
      scratch ??= Buffer.allocUnsafe(PIECE);
      const hash = createHash(m.algorithm);
      let done = 0;
      while (done < m.size) {
        const n = readHashing(hash, m.fd, scratch, Math.min(PIECE, m.size - done), m.offset + done);
        done += n;
        if (n === 0) break;
      }
      parentPort.postMessage({ id: m.id, bytes: done, hex: hash.digest('hex') });
    } else if (m.op === 'start') {
      streams.set(m.stream, { hash: createHash(m.algorithm), fd: m.fd, memory: m.memory });
      parentPort.postMessage({ id: m.id });
    } else if (m.op === 'fill') {
      const s = streams.get(m.stream);
      const view = new Uint8Array(s.memory, m.start, m.length);
      parentPort.postMessage({ id: m.id, bytes: readHashing(s.hash, s.fd, view, m.length, m.position) });
    } else if (m.op === 'end') {
      const s = streams.get(m.stream);
      streams.delete(m.stream);
      parentPort.postMessage({ id: m.id, hex: m.digest ? s.hash.digest('hex') : '' });
    }
  } catch (error) {
    if (m.op === 'end') streams.delete(m.stream);
    parentPort.postMessage({ id: m.id, error: { message: String(error && error.message), code: error && error.code, syscall: error && error.syscall } });
  }
});
`;

interface Reply {
  id: number;
  bytes?: number;
  hex?: string;
  error?: { message: string; code?: string; syscall?: string };
}

type Pending = { resolve: (reply: Reply) => void; reject: (error: unknown) => void };

class HashWorker {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** Streams (and one-shot hashes) assigned to this worker: the pool balances on it. */
  load = 0;
  private broken: Error | undefined;

  constructor(private readonly onGone: (w: HashWorker) => void) {
    // A small heap: the worker allocates one 1 MiB buffer and hash states, nothing else. Node's
    // worker_threads is loaded here, with the first worker: loading it costs a command that
    // starts none (every command on a small or stripped tar) about 4 ms.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.error !== undefined) p.reject(Object.assign(new Error(reply.error.message), reply.error.code === undefined ? {} : { code: reply.error.code, syscall: reply.error.syscall }));
      else p.resolve(reply);
    });
    const fail = (error: Error) => {
      this.broken ??= error;
      this.onGone(this);
      for (const p of this.pending.values()) p.reject(this.broken);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker stopped (exit code ${code})`)));
  }

  request(message: Record<string, unknown>, id: number): Promise<Reply> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise<Reply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref(); // a request under way keeps the process alive
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

const workers: HashWorker[] = [];
let nextId = 1;

/** A worker that failed or stopped is not used again; the next request starts a new one. */
function forget(gone: HashWorker): void {
  const i = workers.indexOf(gone);
  if (i >= 0) workers.splice(i, 1);
}

/** The idle or least loaded of the first `limit` workers, starting one while there are fewer. */
function leastLoaded(limit: number): HashWorker {
  const candidates = workers.slice(0, limit);
  const idle = candidates.find((w) => w.load === 0);
  if (idle !== undefined) return idle;
  if (candidates.length < limit) {
    const w = new HashWorker(forget);
    workers.push(w);
    return w;
  }
  return candidates.reduce((a, b) => (b.load < a.load ? b : a));
}

/** Hashes `size` bytes at `offset` of descriptor `fd` in a worker; returns the hex digest and the bytes read (fewer at end of file). */
export async function hashRangeInWorker(fd: number, offset: number, size: number, algorithm: string): Promise<{ hex: string; bytes: number }> {
  const w = leastLoaded(WORKERS);
  w.load++;
  try {
    const reply = await w.request({ op: 'hash', fd, offset, size, algorithm }, nextId++);
    return { hex: reply.hex!, bytes: reply.bytes! };
  } finally {
    w.load--;
  }
}

/**
 * One blob read and hashed by a worker into slots of `memory` (shared): `fill` resolves with the
 * bytes read once they are in memory and hashed; fills are hashed in the order they are asked for.
 * `end` gives the digest (or, with digest false, just forgets the stream); call it once, last,
 * after every fill settled.
 */
export interface WorkerStream {
  fill(start: number, length: number, position: number): Promise<number>;
  end(digest: boolean): Promise<string>;
}

export async function startWorkerStream(fd: number, algorithm: string, memory: SharedArrayBuffer): Promise<WorkerStream> {
  const w = leastLoaded(COPY_WORKERS);
  w.load++;
  const stream = nextId++;
  try {
    await w.request({ op: 'start', stream, fd, algorithm, memory }, nextId++);
  } catch (error) {
    w.load--;
    throw error;
  }
  let ended = false;
  return {
    fill: async (start, length, position) => (await w.request({ op: 'fill', stream, start, length, position }, nextId++)).bytes!,
    end: async (digest) => {
      if (ended) return '';
      ended = true;
      try {
        return (await w.request({ op: 'end', stream, digest }, nextId++)).hex!;
      } finally {
        w.load--;
      }
    },
  };
}
