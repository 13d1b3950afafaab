/**
 * The fingerprints of the events applied to one window: 53-bit hashes of
 * (kind, event_id) in a Float64Array, each with a 16-bit digest of its bytes,
 * so a repeat is recognised (and a repeat with other content noticed) without
 * keeping a string per event. Small windows scan; large ones add an index.
 */
export class EventKeys {
  private keys: Float64Array;
  private digests: Uint16Array;
  private length = 0;
  private index: Map<number, number> | undefined;

  constructor(capacity = 8) {
    this.keys = new Float64Array(capacity);
    this.digests = new Uint16Array(capacity);
  }

  static from(keys: readonly number[], digests: readonly number[]): EventKeys {
    const set = new EventKeys(Math.max(8, keys.length));
    for (const [i, key] of keys.entries()) set.add(key, digests[i] ?? 0);
    return set;
  }

  get size(): number {
    return this.length;
  }

  /** The digest stored with `key`, or undefined when the key is new. */
  digestOf(key: number): number | undefined {
    if (this.index) {
      const at = this.index.get(key);
      return at === undefined ? undefined : this.digests[at];
    }
    const keys = this.keys;
    for (let i = 0; i < this.length; i += 1) if (keys[i] === key) return this.digests[i];
    return undefined;
  }

  /** Adds a key known to be new. */
  add(key: number, digest: number): void {
    if (this.length === this.keys.length) this.grow();
    this.keys[this.length] = key;
    this.digests[this.length] = digest;
    this.index?.set(key, this.length);
    this.length += 1;
    if (!this.index && this.length > 128) this.index = new Map(Array.from(this.keys.subarray(0, this.length), (k, i) => [k, i]));
  }

  /** Keys ascending, with their digests aligned: a row is a pure function of the events in it. */
  sorted(): { keys: number[]; digests: number[] } {
    const order = Array.from({ length: this.length }, (_, i) => i).sort((a, b) => this.keys[a]! - this.keys[b]!);
    return { keys: order.map((i) => this.keys[i]!), digests: order.map((i) => this.digests[i]!) };
  }

  private grow(): void {
    const capacity = Math.ceil(this.keys.length * 1.5);
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    const digests = new Uint16Array(capacity);
    digests.set(this.digests);
    this.keys = keys;
    this.digests = digests;
  }
}
