import { coPartitionedAssignment } from '../../../../topics/client/coPartitioned.js';

test('a member holds the same partition numbers of every topic, round-robin over the members in id order', () => {
  const assignment = coPartitionedAssignment(['m-b', 'm-a'], ['production', 'telemetry'], 5);
  expect(Object.fromEntries(assignment)).toEqual({
    'm-a': { production: [0, 2, 4], telemetry: [0, 2, 4] },
    'm-b': { production: [1, 3], telemetry: [1, 3] },
  });
});

test('more members than partitions: the last ones hold nothing, and no partition is held twice', () => {
  const assignment = coPartitionedAssignment(['c', 'b', 'a'], ['t'], 2);
  expect(Object.fromEntries(assignment)).toEqual({ a: { t: [0] }, b: { t: [1] }, c: { t: [] } });
});
