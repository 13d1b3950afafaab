import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../core/paths.js';

/**
 * docs/contract.md read as data: the records of the input topics with their
 * fields, the contract table's columns, the other tables and views, and the
 * alert event's fields. The tests hold the code to what the page says.
 */
export interface ContractDoc {
  /** Per input topic: its record's name and fields (name, type as the page writes it). */
  readonly records: readonly { topic: string; record: string; fields: readonly { name: string; type: string }[] }[];
  /** The columns of employee_window_metrics every reader may rely on. */
  readonly columns: readonly { name: string; type: string }[];
  /** The other tables and views, by name. */
  readonly relations: readonly { name: string; kind: 'table' | 'view' }[];
  /** The views of the BI database, by name. */
  readonly biViews: readonly string[];
  readonly alertEventFields: readonly string[];
  /** The example rules file. */
  readonly exampleRules: string;
}

/** The rows of the first markdown table after `from` in `text`, split into trimmed cells, header and rule left out. */
function tableAfter(text: string, from: number): string[][] {
  const lines = text.slice(from).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim().replace(/^`|`$/g, '')),
    );
  }
  return rows;
}

function sectionAt(text: string, heading: string): number {
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`docs/contract.md has no heading ${JSON.stringify(heading)}`);
  return at;
}

export function readContractDoc(): ContractDoc {
  const text = readFileSync(join(projectRoot(), 'docs', 'contract.md'), 'utf8');
  const records = [...text.matchAll(/^### `([a-z0-9_.]+)`: record `(\w+)`$/gm)].map((m) => ({
    topic: m[1]!,
    record: m[2]!,
    fields: tableAfter(text, m.index).map(([name, type]) => ({ name: name!, type: type! })),
  }));
  const columns = tableAfter(text, sectionAt(text, '### `employee_window_metrics`')).map(([name, type]) => ({ name: name!, type: type! }));
  const relations = tableAfter(text, sectionAt(text, '### Every other table and view')).map(([name, kind]) => ({
    name: name!,
    kind: kind as 'table' | 'view',
  }));
  const biViews = tableAfter(text, sectionAt(text, '### The BI database')).map(([name]) => name!);
  const alertEventFields = tableAfter(text, sectionAt(text, '## Alert events')).map(([name]) => name!);
  const alerts = sectionAt(text, '## Alert events');
  const exampleRules = /```yaml\n([\s\S]*?)```/.exec(text.slice(alerts))![1]!;
  return { records, columns, relations, biViews, alertEventFields, exampleRules };
}

/** A field type as the page writes it, in Avro's terms. */
export function avroTypeOfDoc(type: string): unknown {
  const optional = /^null or (.+)$/.exec(type);
  if (optional) return ['null', avroTypeOfDoc(optional[1]!)];
  const array = /^array of (.+)$/.exec(type);
  if (array) return { type: 'array', items: avroTypeOfDoc(array[1]!) };
  if (type === 'timestamp-millis') return { type: 'long', logicalType: 'timestamp-millis' };
  return type;
}
