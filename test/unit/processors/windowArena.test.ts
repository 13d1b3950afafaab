import { WindowArena } from '../../../processors/windowArena.js';

test('blocks are zeroed views into shared chunks; a released block is taken again by the next block of its size', () => {
  const arena = new WindowArena();
  const a = arena.allocate(100);
  const b = arena.allocate(100);
  expect(a.buffer).toBe(b.buffer);
  expect(b.byteOffset).toBe(a.byteOffset + 400);
  a.fill(7);
  arena.release(a);
  expect(arena.wordsInUse).toBe(100);
  const c = arena.allocate(100);
  expect(c).toBe(a);
  expect([...c].every((word) => word === 0)).toBe(true);
  expect(arena.allocate(50).byteOffset).toBe(b.byteOffset + 400); // no free block of 50 words: the chunk's next words
  expect(arena.bytes).toBe(4 * WindowArena.CHUNK_WORDS);
});

test('a block that does not fit the rest of a chunk starts the next one, the rest free for a smaller block', () => {
  const arena = new WindowArena();
  const blockWords = WindowArena.CHUNK_WORDS / 4;
  const blocks = [1, 2, 3].map(() => arena.allocate(blockWords));
  const small = arena.allocate(blockWords - 10); // the first chunk holds 3 * blockWords + this, with 10 words left
  const next = arena.allocate(blockWords);
  expect(next.buffer).not.toBe(blocks[0]!.buffer);
  expect(arena.bytes).toBe(8 * WindowArena.CHUNK_WORDS);
  const rest = arena.allocate(10);
  expect(rest.buffer).toBe(small.buffer);
  expect(rest.byteOffset).toBe(small.byteOffset + small.byteLength);
});

test('a block larger than a quarter chunk is an array of its own, let go when released', () => {
  const arena = new WindowArena();
  const large = arena.allocate(WindowArena.CHUNK_WORDS);
  expect(large.byteOffset).toBe(0);
  expect(large.buffer.byteLength).toBe(4 * WindowArena.CHUNK_WORDS);
  arena.release(large);
  expect([arena.bytes, arena.wordsInUse]).toEqual([0, 0]);
  expect(arena.allocate(WindowArena.CHUNK_WORDS)).not.toBe(large);
});
