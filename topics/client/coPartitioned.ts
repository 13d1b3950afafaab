/** The name both adapters give the co-partitioned assignment strategy in the group protocol. */
export const CO_PARTITIONED = 'KpiCoPartitioned';

/**
 * Assigns partition numbers, not topic-partitions: a member that gets
 * partition p gets p of every topic, because an employee's production,
 * telemetry, inspections, feedback and self-reports share a partition number
 * (they share a key) and one task aggregates them. Like Kafka Streams'
 * co-partitioning; the topics must have equal partition counts (the smallest
 * count is used). Partitions go round-robin over the members in id order.
 */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  topics: readonly string[],
  partitionCount: number,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const assignments = new Map<string, Record<string, number[]>>(members.map((id) => [id, Object.fromEntries(topics.map((t) => [t, [] as number[]]))]));
  for (let partition = 0; partition < partitionCount; partition += 1) {
    const assignment = assignments.get(members[partition % members.length]!)!;
    for (const topic of topics) assignment[topic]!.push(partition);
  }
  return assignments;
}
