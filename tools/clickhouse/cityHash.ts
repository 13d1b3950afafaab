/**
 * CityHash128 as ClickHouse uses it for the checksums of its compressed
 * blocks: Google's CityHash **v1.0.2** (ClickHouse keeps that version in
 * contrib/cityhash102 because later versions hash differently). Returned as
 * [low64, high64], which is the order ClickHouse writes them (little-endian).
 */
const MASK = (1n << 64n) - 1n;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;
const k3 = 0xc949d7c7509e6557n;
const kMul = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint) => (a * b) & MASK;
const add = (a: bigint, b: bigint) => (a + b) & MASK;
const sub = (a: bigint, b: bigint) => (a - b) & MASK;
const rotate = (v: bigint, shift: number) => (shift === 0 ? v : ((v >> BigInt(shift)) | (v << BigInt(64 - shift))) & MASK);
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function hash128to64(low: bigint, high: bigint): bigint {
  let a = mul(low ^ high, kMul);
  a ^= a >> 47n;
  let b = mul(high ^ a, kMul);
  b ^= b >> 47n;
  return mul(b, kMul);
}

class Bytes {
  private readonly view: DataView;
  constructor(readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  fetch64(p: number): bigint {
    return this.view.getBigUint64(p, true);
  }
  fetch32(p: number): bigint {
    return BigInt(this.view.getUint32(p, true));
  }
}

function hashLen0to16(s: Bytes, p: number, len: number): bigint {
  if (len > 8) {
    const a = s.fetch64(p);
    const b = s.fetch64(p + len - 8);
    return hash128to64(a, rotate(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = s.fetch32(p);
    return hash128to64(add(BigInt(len), a << 3n), s.fetch32(p + len - 4));
  }
  if (len > 0) {
    const a = BigInt(s.data[p]!);
    const b = BigInt(s.data[p + (len >> 1)]!);
    const c = BigInt(s.data[p + len - 1]!);
    const y = a + (b << 8n);
    const z = BigInt(len) + (c << 2n);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2);
  }
  return k2;
}

function weakHashLen32WithSeeds(s: Bytes, p: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = s.fetch64(p);
  const x = s.fetch64(p + 8);
  const y = s.fetch64(p + 16);
  const z = s.fetch64(p + 24);
  a = add(a, w);
  b = rotate(add(add(b, a), z), 21);
  const c = a;
  a = add(add(a, x), y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Bytes, p: number, len: number, seedLow: bigint, seedHigh: bigint): [bigint, bigint] {
  let a = seedLow;
  let b = seedHigh;
  let c: bigint;
  let d: bigint;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1);
    c = add(mul(b, k1), hashLen0to16(s, p, len));
    d = shiftMix(add(a, len >= 8 ? s.fetch64(p) : c));
  } else {
    c = hash128to64(add(s.fetch64(p + len - 8), k1), a);
    d = hash128to64(add(b, BigInt(len)), add(c, s.fetch64(p + len - 16)));
    a = add(a, d);
    do {
      a ^= mul(shiftMix(mul(s.fetch64(p), k1)), k1);
      a = mul(a, k1);
      b ^= a;
      c ^= mul(shiftMix(mul(s.fetch64(p + 8), k1)), k1);
      c = mul(c, k1);
      d ^= c;
      p += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hash128to64(a, c);
  b = hash128to64(d, b);
  return [a ^ b, hash128to64(b, a)];
}

function cityHash128WithSeed(s: Bytes, p: number, len: number, seedLow: bigint, seedHigh: bigint): [bigint, bigint] {
  if (len < 128) return cityMurmur(s, p, len, seedLow, seedHigh);
  let x = seedLow;
  let y = seedHigh;
  let z = mul(BigInt(len), k1);
  let v: [bigint, bigint] = [0n, 0n];
  let w: [bigint, bigint] = [0n, 0n];
  v[0] = add(mul(rotate(y ^ k1, 49), k1), s.fetch64(p));
  v[1] = add(mul(rotate(v[0], 42), k1), s.fetch64(p + 8));
  w[0] = add(mul(rotate(add(y, z), 35), k1), x);
  w[1] = mul(rotate(add(x, s.fetch64(p + 88)), 53), k1);
  const step = () => {
    x = mul(rotate(add(add(add(x, y), v[0]), s.fetch64(p + 16)), 37), k1);
    y = mul(rotate(add(add(y, v[1]), s.fetch64(p + 48)), 42), k1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33);
    v = weakHashLen32WithSeeds(s, p, mul(v[1], k1), add(x, w[0]));
    w = weakHashLen32WithSeeds(s, p + 32, add(z, w[1]), y);
    [z, x] = [x, z];
    p += 64;
  };
  do {
    step();
    step();
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w[0], 37), k0), z));
  x = add(x, mul(rotate(add(v[0], z), 49), k0));
  for (let tailDone = 0; tailDone < len;) {
    tailDone += 32;
    y = add(mul(rotate(sub(y, x), 42), k0), v[1]);
    w[0] = add(w[0], s.fetch64(p + len - tailDone + 16));
    x = add(mul(rotate(x, 49), k0), w[0]);
    w[0] = add(w[0], v[0]);
    v = weakHashLen32WithSeeds(s, p + len - tailDone, v[0], v[1]);
  }
  x = hash128to64(x, v[0]);
  y = hash128to64(y, w[0]);
  return [add(hash128to64(add(x, v[1]), w[1]), y), hash128to64(add(x, w[1]), add(y, v[1]))];
}

/** CityHash128 v1.0.2 of `data`: [low64, high64]. */
export function cityHash128(data: Uint8Array): [bigint, bigint] {
  const s = new Bytes(data);
  const len = data.length;
  if (len >= 16) return cityHash128WithSeed(s, 16, len - 16, s.fetch64(0) ^ k3, s.fetch64(8));
  if (len >= 8) return cityHash128WithSeed(s, 0, 0, s.fetch64(0) ^ mul(BigInt(len), k0), s.fetch64(len - 8) ^ k1);
  return cityHash128WithSeed(s, 0, len, k0, k1);
}
