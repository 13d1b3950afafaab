import { AssignerProtocol, type Assigner, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITIONED = 'KpiCoPartitioned';

/**
 * Assigns partition numbers, not topic-partitions: a member that gets
 * partition p gets p of every input topic, because an employee's production,
 * telemetry, inspections, feedback and self-reports share a partition number
 * (they share a key) and one task aggregates them. Like Kafka Streams'
 * co-partitioning; the input topics must have equal partition counts.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }): Assigner => ({
  name: CO_PARTITIONED,
  version: 1,
  async assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const partitions = Math.min(...topics.map((topic) => cluster.findTopicPartitionMetadata(topic).length));
    const assignments = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, Object.fromEntries(topics.map((t) => [t, []]))]));
    for (let partition = 0; partition < partitions; partition += 1) {
      const assignment = assignments.get(memberIds[partition % memberIds.length]!)!;
      for (const topic of topics) assignment[topic]!.push(partition);
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: assignments.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: CO_PARTITIONED, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
