import type { AlertEvent } from '../contract/alertEvent.js';

/** Rows as an aligned text table: a header, a rule, and columns padded to their widest cell (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || /^[-+]?[\d.,]+%?$/.test(String(row[i]))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Alert events as a table: when, what, which scope key and window, the value, the rule's threshold. */
export function alertTable(events: readonly AlertEvent[], extra?: { header: string; cell: (e: AlertEvent) => string | number }): string {
  return formatTable(
    ['event', 'rule', 'severity', 'scope', 'window', 'value', 'threshold', ...(extra ? [extra.header] : [])],
    events.map((e) => [
      e.type === 'alert.firing' ? 'firing' : 'resolved',
      e.rule,
      e.severity,
      e.scope === 'plant' ? 'plant' : `${e.scope} ${e.scope === 'employee' ? e.employee_id : e.station_id}`,
      e.window_start.slice(0, 16),
      e.value === null ? (e.anomaly ?? '-') : Number(e.value.toPrecision(4)),
      e.threshold ?? '-',
      ...(extra ? [extra.cell(e)] : []),
    ]),
  );
}
