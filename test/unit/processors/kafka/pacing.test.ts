import { createLogger } from '../../../../core/logger.js';
import { ReadPacer, type PausableConsumer } from '../../../../processors/kafka/pacing.js';

/** A consumer that records what is paused, as kafkajs' subscription state would. */
function consumer(): PausableConsumer & { paused: Set<string> } {
  const paused = new Set<string>();
  return {
    paused,
    pause: (topics) => topics.forEach(({ topic, partitions }) => partitions.forEach((p) => paused.add(`${topic}[${p}]`))),
    resume: (topics) => topics.forEach(({ topic, partitions }) => partitions.forEach((p) => paused.delete(`${topic}[${p}]`))),
  };
}

const log = createLogger('silent');

test('after each batch, the topics ahead are paused and those no longer ahead resumed, per partition', () => {
  const c = consumer();
  const pacer = new ReadPacer(c, 10_000, log);
  pacer.afterBatch(0, ['feedback', 'inspections'], 0);
  pacer.afterBatch(1, ['feedback'], 0);
  expect([...c.paused].sort()).toEqual(['feedback[0]', 'feedback[1]', 'inspections[0]']);
  expect(pacer.pausedCount).toBe(3);
  pacer.afterBatch(0, ['inspections'], 1);
  expect([...c.paused].sort()).toEqual(['feedback[1]', 'inspections[0]']);
  pacer.afterBatch(1, [], 1);
  expect([...c.paused]).toEqual(['inspections[0]']);
  expect(pacer.pausedCount).toBe(1);
});

test('a partition whose paused topics wait without a batch for the stall time is read in full again', () => {
  const c = consumer();
  const pacer = new ReadPacer(c, 10_000, log);
  pacer.afterBatch(0, ['feedback'], 0);
  pacer.afterBatch(1, ['feedback'], 5_000);
  expect(pacer.releaseStalled(9_999)).toEqual([]);
  expect(pacer.releaseStalled(10_000)).toEqual([0]);
  expect([...c.paused]).toEqual(['feedback[1]']);
  pacer.releaseAll();
  expect(c.paused.size).toBe(0);
  expect(pacer.pausedCount).toBe(0);
  expect(pacer.releaseStalled(60_000)).toEqual([]);
});
