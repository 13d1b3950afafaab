import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { writePrivateFile } from '../../core/privateFiles.js';
import { formatDuration } from '../../core/time.js';
import { countSubjectRows, eraseSubject, exportSubject, subjectOf, type SubjectErasure, type SubjectRequest } from '../../privacy/subjectRequests.js';
import { withClickHouse } from '../../sinks/clickhouse/client.js';
import type { Command } from '../command.js';
import { parseAccess } from '../args.js';
import { formatTable } from '../table.js';

const ACTIONS = ['export', 'erase'] as const;
type SubjectAction = (typeof ACTIONS)[number];

export interface SubjectArgs extends SubjectRequest {
  readonly action: SubjectAction;
  /** export: the file to write (stdout without it). */
  readonly out?: string;
  /** erase: without asking. */
  readonly yes: boolean;
}

/**
 * The arguments of `subject export|erase`; undefined for another sub-command
 * (the usage is printed). `interactive`: stdin is a terminal, where erase can
 * ask for confirmation; elsewhere erase needs --yes.
 */
export function parseSubjectArgs(args: readonly string[], interactive: boolean): SubjectArgs | undefined {
  const [action, ...rest] = args;
  if (!ACTIONS.includes(action as SubjectAction)) return undefined;
  const command = `subject ${action}`;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        purpose: { type: 'string' },
        actor: { type: 'string' },
        ...(action === 'export' ? { out: { type: 'string' } } : { yes: { type: 'boolean', default: false } }),
      },
    });
  } catch (error) {
    throw new ConfigError(command, (error as Error).message);
  }
  const { values, positionals } = parsed as { values: { purpose?: string; actor?: string; out?: string; yes?: boolean }; positionals: string[] };
  if (positionals.length !== 1 || positionals[0]!.trim() === '')
    throw new ConfigError(command, `name one employee: kpi-stream ${command} EMPLOYEE_ID --purpose TEXT (got ${positionals.length} arguments)`);
  const access = parseAccess(values);
  const yes = values.yes ?? false;
  if (action === 'erase' && !yes && !interactive)
    throw new ConfigError('--yes', 'erase asks for confirmation on a terminal, and stdin is not one: pass --yes to erase without asking');
  return { action: action as SubjectAction, employeeId: positionals[0]!, ...access, ...(values.out === undefined ? {} : { out: values.out }), yes };
}

export const subjectCommand: Command = {
  name: 'subject',
  summary: "A data subject's requests: export everything held about one person as JSON, or erase it",
  usage: `Usage: kpi-stream subject export EMPLOYEE_ID --purpose TEXT [--actor NAME] [--out FILE]
       kpi-stream subject erase EMPLOYEE_ID --purpose TEXT [--actor NAME] [--yes]

A data subject's requests (GDPR Art. 15 access, Art. 17 erasure) over what
kpi-stream holds in ClickHouse about one person: window rows, scores, flags,
alert deliveries, dead letters keyed by their id, and the access log.

  export   write every row of the person, by table with its columns, as JSON
           (to stdout, or to --out FILE, readable by its owner alone), and the
           Kafka topics that keep their records; progress on stderr
  erase    remove the person's rows from every table but the access log, check
           that none is left readable, print the rows removed per table and
           the Kafka topics that keep their records until their retention (a
           replay within it writes the rows again: purge the topics first)

  --purpose TEXT  why (the request's reference, a ticket): required; written
                  to kpi.access_log with the actor before any data is handed
                  out or removed
  --actor NAME    who asks (default: the operating-system user)
  --out FILE      export: where to write the JSON (default: stdout)
  --yes           erase: do not ask. Without it erase shows what it would
                  remove and asks for the employee id on the terminal; it
                  refuses when stdin is not a terminal

docs/privacy.md ("Subject requests") says what stays where, and why the access
log is kept.`,
  needs: (args) => (parseSubjectArgs(args, Boolean(process.stdin.isTTY)) ? ['clickhouse'] : []),
  async run(args, { config, log }) {
    const request = parseSubjectArgs(args, Boolean(process.stdin.isTTY));
    if (!request) {
      process.stderr.write(`${this.usage}\n`);
      return 2;
    }
    const progress = (line: string) => process.stderr.write(`subject ${request.action} ${request.employeeId}: ${line}\n`);
    return withClickHouse(config, async (client) => {
      if (request.action === 'export') {
        const json = `${JSON.stringify(await exportSubject(client, config, request, progress), null, 2)}\n`;
        if (request.out === undefined) {
          process.stdout.write(json);
        } else {
          const path = resolve(request.out);
          writePrivateFile(path, json);
          log.info(`wrote everything held about ${request.employeeId} to ${path}`);
        }
        return 0;
      }
      if (!request.yes) {
        const counts = await countSubjectRows(client, await subjectOf(client, config, request.employeeId));
        process.stderr.write(
          `${formatTable(
            ['table', 'rows', 'erase'],
            counts.map((c) => [c.table, c.rows, c.erasable ? 'yes' : 'no, the audit trail']),
          )}\n`,
        );
        const terminal = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await terminal
          .question(`Erase these rows of ${request.employeeId} from ClickHouse database ${config.clickhouseDatabase}? Type the employee id to confirm: `)
          .finally(() => terminal.close());
        if (answer.trim() !== request.employeeId) {
          process.stderr.write('Not confirmed: nothing erased.\n');
          return 1;
        }
      }
      const erasure = await eraseSubject(client, config, request, progress);
      process.stdout.write(`${formatErasure(request.employeeId, config.clickhouseDatabase, config.kafka.brokers, erasure)}\n`);
      return 0;
    });
  },
};

/** What erase removed, what it kept, and what Kafka still holds until when, with how to shorten it. */
function formatErasure(employeeId: string, database: string, brokers: readonly string[], erasure: SubjectErasure): string {
  return [
    `Erased ${employeeId} from ClickHouse database ${database}: no row of ${employeeId} is readable in these tables any more.`,
    formatTable(
      ['table', 'rows removed'],
      erasure.removed.map((r) => [r.table, r.rows]),
    ),
    '',
    ...erasure.kept.map((k) => `Kept: ${k.table} (${k.rows} row${k.rows === 1 ? '' : 's'} of ${employeeId}): ${k.holds}.`),
    '',
    `Outside ClickHouse, Kafka keeps ${employeeId}'s records (keyed by their id, or naming them) until each topic's retention:`,
    formatTable(
      ['topic', 'retention', 'cleanup', 'holds'],
      erasure.kafkaTopics.map((t) => [t.topic, t.retentionMs < 0 ? 'kept' : formatDuration(t.retentionMs), t.cleanupPolicy, t.holds]),
    ),
    '',
    "To shorten a topic's retention (the broker deletes only closed segments, so lower segment.ms too; `kpi-stream topics create` warns about a shorter retention and leaves it):",
    `  kafka-configs.sh --bootstrap-server ${brokers.join(',')} --alter --entity-type topics --entity-name TOPIC --add-config retention.ms=MS,segment.ms=MS`,
    `To delete every record of a partition before an offset at once: kafka-delete-records.sh --bootstrap-server ${brokers.join(',')} --offset-json-file FILE`,
    `Until they are gone, a replay of these topics (a new consumer group, reset offsets, a restore) writes ${employeeId}'s rows again: purge the topics before`,
    `replaying. While the processors run, a new or late event of ${employeeId} writes a new row.`,
  ].join('\n');
}
