import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../core/errors.js';

/**
 * People's names for a report. kpi-stream knows employees by id only; a name
 * appears in a report only when the user hands over a mapping file, and only
 * where the report shows that employee. Without one, ids are all there is.
 */
export type Names = ReadonlyMap<string, string>;

/** No names: every employee is shown by id. */
export const NO_NAMES: Names = new Map();

/**
 * Parses a mapping of employee id to name: JSON (an object `{"E0001": "Ana
 * Lima"}`) or CSV (`id,name` per line; a first line `employee_id,name` or
 * `id,name` is a header; a name may be quoted, with `""` for a quote). `source`
 * names the file in errors.
 */
export function parseNames(text: string, format: 'json' | 'csv', source: string): Names {
  const names = new Map<string, string>();
  const add = (id: string, name: string, where: string) => {
    if (id === '' || name === '') throw new ConfigError('--names', `${source}${where}: an empty id or name`);
    if (names.has(id)) throw new ConfigError('--names', `${source}${where}: employee ${JSON.stringify(id)} is named twice`);
    names.set(id, name);
  };
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('--names', `${source} is not JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ConfigError('--names', `${source}: expected a JSON object of employee id to name`);
    for (const [id, name] of Object.entries(parsed)) {
      if (typeof name !== 'string') throw new ConfigError('--names', `${source}: the name of ${JSON.stringify(id)} is not a string`);
      add(id, name.trim(), '');
    }
    return names;
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = csvCells(line, `${source}:${i + 1}`);
    if (cells.length !== 2) throw new ConfigError('--names', `${source}:${i + 1}: expected two columns, id and name, got ${cells.length}`);
    const [id, name] = cells.map((c) => c.trim()) as [string, string];
    if (i === 0 && /^(employee_id|id)$/i.test(id) && /^name$/i.test(name)) return;
    add(id, name, `:${i + 1}`);
  });
  return names;
}

/** One CSV line's cells (RFC 4180 quoting). */
function csvCells(line: string, where: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      i += 1;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) throw new ConfigError('--names', `${where}: a quote is not closed`);
        cell += line.slice(i, quote);
        i = quote + 1;
        if (line[i] !== '"') break;
        cell += '"';
        i += 1;
      }
      cells.push(cell);
      if (i < line.length && line[i] !== ',') throw new ConfigError('--names', `${where}: text after a closing quote`);
    } else {
      const comma = line.indexOf(',', i);
      cells.push(line.slice(i, comma < 0 ? line.length : comma));
      i = comma < 0 ? line.length : comma;
    }
    if (i >= line.length) return cells;
    i += 1; // the comma
  }
}

/** Reads a mapping file: `.json` as JSON, anything else as CSV. */
export function readNames(path: string): Names {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('--names', `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  return parseNames(text, extname(path).toLowerCase() === '.json' ? 'json' : 'csv', path);
}
