import { kafkaClusterId } from '../../../services/kafka/kafka.js';

test("a cluster id never begins with '-', which kafka-storage would read as an option: such a draw is drawn again", () => {
  // 0xf8 encodes as '-' first in base64url; the second draw does not.
  const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
  const random = () => draws.shift()!;
  const id = kafkaClusterId(random);
  expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
  expect(draws).toEqual([]);
  expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
  expect(kafkaClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
});
