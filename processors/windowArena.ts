/**
 * Where a partition task keeps the numbers of its open windows: a few large
 * ArrayBuffers (chunks) that every window's cells are views into, rather than
 * an ArrayBuffer per window (its object on the heap, and a separate
 * allocation outside it). A window's cells are a block of 32-bit words in one
 * chunk; a block a window outgrew (processors/employeeWindow.ts regrows it) or
 * a window that left memory goes to a free list of its size, and the next
 * block of that size takes it. Window sizes follow a few capacities (events,
 * hours, stations), so freed blocks are taken again as the next day's windows
 * grow through the same sizes. Chunks are kept until the task goes.
 *
 * Chunks rather than one resizable ArrayBuffer: a typed array over a resizable
 * buffer reads about half as fast in Node 24, and process.memoryUsage() does
 * not count its bytes.
 */
export class WindowArena {
  /** Words per chunk: 256 KiB. */
  static readonly CHUNK_WORDS = 1 << 16;

  private chunk: ArrayBuffer | undefined;
  /** The next free word of the current chunk. */
  private top = 0;
  /** Free blocks by size in words. */
  private readonly free = new Map<number, Uint32Array[]>();
  /** Words in blocks handed out and not released. */
  wordsInUse = 0;
  /** Bytes of every chunk (and block too large for one) allocated. */
  bytes = 0;

  /** A block of `words` words, zeroed. */
  allocate(words: number): Uint32Array {
    this.wordsInUse += words;
    const reused = this.free.get(words)?.pop();
    if (reused) {
      reused.fill(0);
      return reused;
    }
    if (words > WindowArena.CHUNK_WORDS / 4) {
      // A window of thousands of events: a buffer of its own, like any large array.
      this.bytes += 4 * words;
      return new Uint32Array(words);
    }
    if (!this.chunk || this.top + words > WindowArena.CHUNK_WORDS) {
      // The rest of the current chunk is a free block of its size, for a smaller window.
      if (this.chunk && this.top < WindowArena.CHUNK_WORDS) this.release(new Uint32Array(this.chunk, 4 * this.top), 0);
      this.chunk = new ArrayBuffer(4 * WindowArena.CHUNK_WORDS);
      this.bytes += this.chunk.byteLength;
      this.top = 0;
    }
    const block = new Uint32Array(this.chunk, 4 * this.top, words);
    this.top += words;
    return block;
  }

  /** Gives a block back (its window outgrew it, or left memory); `inUse` is how many of its words were counted as in use. */
  release(block: Uint32Array, inUse = block.length): void {
    this.wordsInUse -= inUse;
    if (block.length > WindowArena.CHUNK_WORDS / 4) {
      this.bytes -= block.byteLength; // a buffer of its own: the garbage collector takes it
      return;
    }
    let blocks = this.free.get(block.length);
    if (!blocks) this.free.set(block.length, (blocks = []));
    blocks.push(block);
  }
}
