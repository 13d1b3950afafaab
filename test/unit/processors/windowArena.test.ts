import { WindowArena, type Block } from '../../../processors/windowArena.js';

const block = (arena: WindowArena, words: number): Block => {
  const b: Block = { cells: new Uint32Array(0), base: 0 };
  arena.allocate(words, b);
  return b;
};

test('blocks are zeroed word ranges of shared chunks; a released block is taken again by the next block of its size', () => {
  const arena = new WindowArena();
  const a = block(arena, 100);
  const b = block(arena, 100);
  expect(a.cells).toBe(b.cells);
  expect(b.base).toBe(a.base + 100);
  a.cells.fill(7, a.base, a.base + 100);
  arena.release(a.cells, a.base, 100);
  expect(arena.wordsInUse).toBe(100);
  const c = block(arena, 100);
  expect([c.cells === a.cells, c.base]).toEqual([true, a.base]);
  expect(c.cells.subarray(c.base, c.base + 100).every((word) => word === 0)).toBe(true);
  expect(block(arena, 50).base).toBe(b.base + 100); // no free block of 50 words: the chunk's next words
  expect(arena.bytes).toBe(4 * WindowArena.CHUNK_WORDS);
});

test('a block that does not fit the rest of a chunk starts the next one, the rest free for a smaller block', () => {
  const arena = new WindowArena();
  const blockWords = WindowArena.CHUNK_WORDS / 4;
  const blocks = [1, 2, 3].map(() => block(arena, blockWords));
  const small = block(arena, blockWords - 10); // the first chunk holds 3 * blockWords + this, with 10 words left
  const next = block(arena, blockWords);
  expect(next.cells).not.toBe(blocks[0]!.cells);
  expect(arena.bytes).toBe(8 * WindowArena.CHUNK_WORDS);
  const rest = block(arena, 10);
  expect(rest.cells).toBe(small.cells);
  expect(rest.base).toBe(small.base + blockWords - 10);
});

test('a block larger than a quarter chunk is an array of its own, let go when released', () => {
  const arena = new WindowArena();
  const large = block(arena, 2 * WindowArena.CHUNK_WORDS); // larger than a chunk, too
  expect(large.base).toBe(0);
  expect(large.cells.length).toBe(2 * WindowArena.CHUNK_WORDS);
  expect(arena.bytes).toBe(8 * WindowArena.CHUNK_WORDS);
  arena.release(large.cells, large.base, 2 * WindowArena.CHUNK_WORDS);
  expect([arena.bytes, arena.wordsInUse]).toEqual([0, 0]);
  expect(block(arena, 2 * WindowArena.CHUNK_WORDS).cells).not.toBe(large.cells);
});
