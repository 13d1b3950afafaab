import { DEGREE_BUCKETS, type Evaluation, type PersonRecall, type ShiftFigures } from './evaluate.js';

/** Evaluations as aligned text tables, for a person to read. */

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ofTotal = (part: number, whole: number) => `${part}/${whole}`;
const recallCell = (r: PersonRecall) => (r.inflators === 0 ? '-' : `${pct(r.recall)} (${ofTotal(r.identified, r.inflators)})`);

/** Rows of cells as columns padded to their widest cell (first column left-aligned, the rest right-aligned). */
export function alignColumns(rows: readonly (readonly string[])[], indent = ''): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

const KINDS = ['units', 'run_hours', 'self_score', 'defects'] as const;

/** The cells of one shift's row: windows, honest windows flagged, precision, recall at 15%+. */
function shiftCells(f: ShiftFigures): string[] {
  return [
    String(f.windows),
    `${pct(f.honestFlagRate)} (${ofTotal(f.honestFlagged, f.honestWindows)})`,
    f.flaggedWindows === 0 ? '-' : pct(f.precision),
    f.recallAtLeast15.inflated === 0 ? '-' : `${pct(f.recallAtLeast15.recall)} (${ofTotal(f.recallAtLeast15.flagged, f.recallAtLeast15.inflated)})`,
  ];
}

const SHIFT_HEADER = ['windows', 'honest windows flagged', 'precision', 'recall 15%+'];

/** The shifts of an evaluation, by name (none for ground truth written before shifts were planted). */
const shiftsOf = (e: Evaluation) =>
  Object.keys(e.byShift ?? {})
    .filter((name) => name !== '')
    .sort();

/** Per shift: the per-window figures over each shift's windows (day, swing, night …), side by side. */
export function formatShifts(e: Evaluation, indent = ''): string {
  return alignColumns([['shift', ...SHIFT_HEADER], ...shiftsOf(e).map((name) => [name, ...shiftCells(e.byShift[name]!)])], indent);
}

/** One evaluation in full: per window, per person, on measurement gaps, and recall by kind and degree. */
export function formatEvaluation(e: Evaluation): string {
  const within = e.persons.within;
  const detection = e.persons.shiftsToDetection;
  const lines = [
    `employee-windows: ${e.windows}, flagged for inflation: ${e.flaggedWindows}`,
    'per window',
    alignColumns(
      [
        ['precision', pct(e.precision), 'flagged windows whose report was inflated'],
        ['recall, 15%+', pct(e.recallAtLeast15.recall), `${ofTotal(e.recallAtLeast15.flagged, e.recallAtLeast15.inflated)} windows inflated by 15% or more`],
        ['honest windows flagged', pct(e.honestFlagRate), `of ${e.honestWindows} windows of employees who never inflate`],
        ['right kind', pct(e.kindAgreement), 'flagged inflated windows naming what was inflated'],
      ].map(([a, b, c]) => [a!, b!, `  ${c}`]),
      '  ',
    ),
    'per person',
    alignColumns(
      [
        [`identified within ${within} shifts`, recallCell(e.persons.steady), '  inflators of 15%+ on most of their shifts'],
        ...KINDS.filter((k) => e.persons.byKind[k]).map((k) => [`  ${k}`, recallCell(e.persons.byKind[k]!), '']),
        [
          'shifts to detection',
          detection.median === null ? '-' : `median ${detection.median}, 90th percentile ${detection.p90}`,
          `  of ${detection.identified} identified at all`,
        ],
        ['intermittent identified', recallCell(e.persons.intermittent), '  inflating on fewer than half their shifts, at all'],
        ['honest employees flagged', `${pct(e.honestEmployeeFlagRate)} (${ofTotal(e.honestEmployeesFlagged, e.honestEmployees)})`, '  at least once'],
      ],
      '  ',
    ),
    ...(shiftsOf(e).length > 0 ? ['per shift (per window)', formatShifts(e, '  ')] : []),
    'measurement gaps planted on honest shifts',
    alignColumns(
      [
        ['gap windows', String(e.gaps.windows), ''],
        ['  flagged for inflation', String(e.gaps.inflationFlagged), ''],
        ['  flagged measurement_gap', String(e.gaps.gapFlagged), ''],
        ['other windows flagged measurement_gap', String(e.gaps.otherGapFlagged), '  reports left unjudged'],
      ],
      '  ',
    ),
    'per-window recall by kind and degree (effective inflation)',
    alignColumns(
      [
        ['kind', ...DEGREE_BUCKETS.map((b) => b.label)],
        ...Object.entries(e.recall)
          .sort()
          .map(([kind, cells]) => [
            kind,
            ...DEGREE_BUCKETS.map((b) =>
              cells[b.label] ? `${pct(cells[b.label]!.recall)} (${ofTotal(cells[b.label]!.flagged, cells[b.label]!.inflated)})` : '-',
            ),
          ]),
      ],
      '  ',
    ),
  ];
  return lines.join('\n');
}

/** One row per honest error spread: the figures issue 15 asks for, side by side; then the same spreads per shift. */
export function formatSweep(rows: readonly { spread: number; evaluation: Evaluation }[]): string {
  const shifts = alignColumns([
    ['honest error', 'shift', ...SHIFT_HEADER],
    ...rows.flatMap(({ spread, evaluation: e }) => shiftsOf(e).map((name) => [`±${(100 * spread).toFixed(1)}%`, name, ...shiftCells(e.byShift[name]!)])),
  ]);
  return `${spreadTable(rows)}\n\nper shift (per window)\n${shifts}`;
}

function spreadTable(rows: readonly { spread: number; evaluation: Evaluation }[]): string {
  const within = rows[0]?.evaluation.persons.within ?? 5;
  const header: [string, string][] = [
    ['honest', 'error'],
    ['honest windows', 'flagged'],
    ['honest employees', 'flagged'],
    ['precision', ''],
    ['recall', '15%+'],
    ['inflators identified', `within ${within} shifts`],
    ['units', ''],
    ['run hours', ''],
    ['self-score', ''],
    ['defects', ''],
    ['shifts to detection', 'median/p90'],
    ['intermittent', 'identified'],
    ['gap windows flagged', 'for inflation'],
  ];
  return alignColumns([
    header.map(([top]) => top),
    header.map(([, bottom]) => bottom),
    ...rows.map(({ spread, evaluation: e }) => {
      const kind = (k: string) => (e.persons.byKind[k] ? ofTotal(e.persons.byKind[k]!.identified, e.persons.byKind[k]!.inflators) : '-');
      const d = e.persons.shiftsToDetection;
      return [
        `±${(100 * spread).toFixed(1)}%`,
        pct(e.honestFlagRate),
        `${pct(e.honestEmployeeFlagRate)} (${ofTotal(e.honestEmployeesFlagged, e.honestEmployees)})`,
        pct(e.precision),
        pct(e.recallAtLeast15.recall),
        recallCell(e.persons.steady),
        kind('units'),
        kind('run_hours'),
        kind('self_score'),
        kind('defects'),
        d.median === null ? '-' : `${d.median}/${d.p90}`,
        ofTotal(e.persons.intermittent.identified, e.persons.intermittent.inflators),
        ofTotal(e.gaps.inflationFlagged, e.gaps.windows),
      ];
    }),
  ]);
}
