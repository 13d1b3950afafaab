/**
 * Where a partition task keeps the numbers of its open windows: a few large
 * chunks of 32-bit words that every window's cells lie in, rather than an
 * ArrayBuffer per window (its object on the heap, and a separate allocation
 * outside it). A window holds its chunk and where its block begins (`Block`),
 * so it needs no typed array of its own either: a view object takes 96 bytes
 * of heap. A block a window outgrew (processors/employeeWindow.ts regrows it)
 * or a window that left memory goes to a free list of its size, and the next
 * block of that size takes it. Window sizes follow a few capacities (events,
 * hours, stations), so freed blocks are taken again as the next day's windows
 * grow through the same sizes. Chunks are kept until the task goes.
 *
 * Chunks rather than one resizable ArrayBuffer: a typed array over a resizable
 * buffer reads about half as fast in Node 24, and process.memoryUsage() does
 * not count its bytes.
 */
export interface Block {
  /** The words the block lies in: a chunk of the arena, or an array of its own. */
  cells: Uint32Array;
  /** The block's first word in `cells`. */
  base: number;
}

/** Blocks of one size that were given back: chunk and first word, side by side. */
interface FreeBlocks {
  readonly chunks: Uint32Array[];
  readonly bases: number[];
}

export class WindowArena {
  /** Words per chunk: 256 KiB. */
  static readonly CHUNK_WORDS = 1 << 16;

  private chunk: Uint32Array | undefined;
  /** The next free word of the current chunk. */
  private top = 0;
  private readonly free = new Map<number, FreeBlocks>();
  /** Words in blocks handed out and not released. */
  wordsInUse = 0;
  /** Bytes of every chunk (and block too large for one) allocated. */
  bytes = 0;

  /** Points `into` at a block of `words` words, zeroed. */
  allocate(words: number, into: Block): void {
    this.wordsInUse += words;
    const reused = this.free.get(words);
    if (reused && reused.bases.length > 0) {
      into.cells = reused.chunks.pop()!;
      into.base = reused.bases.pop()!;
      into.cells.fill(0, into.base, into.base + words);
      return;
    }
    if (words > WindowArena.CHUNK_WORDS / 4) {
      // A window of thousands of events: an array of its own, like any large array.
      this.bytes += 4 * words;
      into.cells = new Uint32Array(words);
      into.base = 0;
      return;
    }
    if (!this.chunk || this.top + words > WindowArena.CHUNK_WORDS) {
      // The rest of the current chunk is a free block of its size, for a smaller window.
      if (this.chunk && this.top < WindowArena.CHUNK_WORDS) this.release(this.chunk, this.top, WindowArena.CHUNK_WORDS - this.top, 0);
      this.chunk = new Uint32Array(WindowArena.CHUNK_WORDS);
      this.bytes += this.chunk.byteLength;
      this.top = 0;
    }
    into.cells = this.chunk;
    into.base = this.top;
    this.top += words;
  }

  /** Gives back the block of `words` words at `base` of `cells` (its window outgrew it, or left memory); `inUse` is how many of its words were counted as in use. */
  release(cells: Uint32Array, base: number, words: number, inUse = words): void {
    this.wordsInUse -= inUse;
    if (words > WindowArena.CHUNK_WORDS / 4) {
      this.bytes -= 4 * words; // an array of its own: the garbage collector takes it
      return;
    }
    let blocks = this.free.get(words);
    if (!blocks) this.free.set(words, (blocks = { chunks: [], bases: [] }));
    blocks.chunks.push(cells);
    blocks.bases.push(base);
  }
}
