/**
 * Fixed-size fingerprints of ids and bytes, for deduplication that keeps no
 * strings: an event is remembered as a 53-bit hash of (its kind, event_id),
 * which a JavaScript number holds exactly and a UInt64 column stores. Two
 * different events of one window collide with probability about n² / 2^54
 * (n events in the window): 1.4e-13 for a working day of 51 events.
 */

/** Mixes one UTF-16 code unit into a pass's state. */
function mix(h: number, unit: number): number {
  let k = Math.imul(unit, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** One 32-bit murmur-style pass over a string's UTF-16 code units. */
function pass(text: string, seed: number): number {
  let h = seed ^ text.length;
  for (let i = 0; i < text.length; i += 1) h = mix(h, text.charCodeAt(i));
  return finish(h);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 53-bit hash (a safe integer, never 0) of a string: two independent 32-bit passes combined. */
export function hash53(text: string): number {
  const high = pass(text, 0x9747b28c) & 0x1fffff;
  const low = pass(text, 0x5bd1e995);
  return high * 0x1_0000_0000 + low || 1;
}

/** hash53(`${first}\u0000${second}`), per event without building that string. */
export function hash53Pair(first: string, second: string): number {
  // hash53's two passes over `${first}\u0000${second}`, side by side in one walk of the strings.
  const length = first.length + 1 + second.length;
  let h = 0x9747b28c ^ length;
  let l = 0x5bd1e995 ^ length;
  for (let i = 0; i < first.length; i += 1) {
    const unit = first.charCodeAt(i);
    h = mix(h, unit);
    l = mix(l, unit);
  }
  h = mix(h, 0);
  l = mix(l, 0);
  for (let i = 0; i < second.length; i += 1) {
    const unit = second.charCodeAt(i);
    h = mix(h, unit);
    l = mix(l, unit);
  }
  return (finish(h) & 0x1fffff) * 0x1_0000_0000 + finish(l) || 1;
}

/** A 16-bit digest of bytes (FNV-1a folded), to notice a repeated id whose content differs. */
export function digest16(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i += 1) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return ((h >>> 16) ^ h) & 0xffff;
}
