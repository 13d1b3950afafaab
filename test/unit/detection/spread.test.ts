import { clamp, MAD_TO_SD, median, robustSpread } from '../../../detection/spread.js';

test('the median of an odd count is the middle value, of an even count the mean of the two middle ones, of none NaN', () => {
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 10])).toBe(3.5);
  expect(median([7])).toBe(7);
  expect(median([])).toBeNaN();
});

test('the median sorts numerically and leaves its input alone', () => {
  const values = [10, 9, 100, 2];
  expect(median(values)).toBe(9.5);
  expect(values).toEqual([10, 9, 100, 2]);
});

test('the spread is 1.4826 × the median absolute deviation, and a few wild values barely move it', () => {
  expect(MAD_TO_SD).toBe(1.4826);
  expect(robustSpread([1, 2, 3, 4, 100])).toEqual({ median: 3, sigma: 1.4826 * 1 });
  expect(robustSpread([-2, 0, 2])).toEqual({ median: 0, sigma: 1.4826 * 2 });
  expect(robustSpread([5, 5, 5])).toEqual({ median: 5, sigma: 0 });
});

test('clamp keeps a value within its bounds, the bounds included', () => {
  expect([clamp(-1, 0, 1), clamp(0, 0, 1), clamp(0.5, 0, 1), clamp(1, 0, 1), clamp(2, 0, 1)]).toEqual([0, 0, 0.5, 1, 1]);
});
