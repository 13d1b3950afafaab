/**
 * The one parser and formatter of durations, dates and instants kpi-stream
 * reads from people (settings, command-line options) and writes for them.
 * Times inside kpi-stream are epoch milliseconds, UTC.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Parses "500ms", "10s", "10m", "1h", "35d" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** The shortest exact form of a duration: 86400000 → "1d", 90000 → "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses a calendar date "YYYY-MM-DD" (its UTC midnight) or an instant in
 * ISO 8601 with a zone ("2026-10-05T06:00:00Z", "…+02:00") into epoch ms;
 * undefined when malformed or not a real date (2026-02-30).
 */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  const date = DATE.exec(trimmed);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    return new Date(ms).toISOString().startsWith(trimmed) ? ms : undefined;
  }
  if (!INSTANT.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Epoch ms → ISO 8601 UTC ("2026-10-05T06:00:00.000Z"); what people and JSON outputs read. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch ms → its UTC calendar date "YYYY-MM-DD". */
export function formatDate(ms: number): string {
  return formatTime(ms).slice(0, 10);
}
