import { cityHash128 } from '../../../../tools/clickhouse/cityHash.js';

/**
 * Reference values from clickhouse-cityhash (PyPI, the CityHash v1.0.2 that
 * clickhouse-driver checks ClickHouse's blocks with) for bytes (i * 131 + 7) % 256:
 * [length, first 64 bits, second 64 bits] as ClickHouse writes them.
 */
const REFERENCE: [number, bigint, bigint][] = [
  [0, 0x3df09dfc64c09a2bn, 0x3cb540c392e51e29n],
  [1, 0x8be55b379cce0e40n, 0x05ab4744478b1cban],
  [8, 0xddce5210a6604339n, 0x1db0cb571c6547acn],
  [9, 0x8cca603e1a188255n, 0x17e74101b56abab4n],
  [16, 0x9fe64a51f1964b33n, 0xdeb9d6910a9685c1n],
  [17, 0x6720305af95ff5e3n, 0xf08e523be5cc574cn],
  [64, 0xacbfe46ea693ba92n, 0x56cfaee4f6c78c6bn],
  [127, 0xf00e82e948f8d91bn, 0x87ba5d90252340ebn],
  [128, 0x8b58caab8dd4b516n, 0xed7aa45825894becn],
  [129, 0x6c509bdceebd97c4n, 0xbfa9ccd551e7ca43n],
  [255, 0x1731e467f655db79n, 0x7c10e709a6d9cfaen],
  [300, 0x20960ed077b5e071n, 0x9a7f28ce83b402f0n],
  [1000, 0x21de6f2c25823e6bn, 0x9b4c6654474dafebn],
  [4099, 0x5f709cda3f72b150n, 0xcd8a45804407d04en],
];

test.each(REFERENCE)('CityHash128 v1.0.2 of %i bytes', (length, first, second) => {
  const data = Uint8Array.from({ length }, (_, i) => (i * 131 + 7) % 256);
  expect(cityHash128(data)).toEqual([first, second]);
});
