import { groupBy, type SelfReportRecord, type Source } from './reports.js';
import { robustSpread } from './spread.js';

/**
 * Missing data is not misconduct: a claim is judged only where the plant's
 * systems measured the whole of it. A report's telemetry is incomplete when
 * records were dead-lettered, when the gateway sent nothing, or when it covered
 * clearly less of the period than it usually does for this person (an outage). Its
 * production count is incomplete when records were dead-lettered, when the MES
 * counted nothing while units are reported, or when the output per run hour
 * fell clearly below the person's usual (an MES outage while the machine ran).
 * Output per run hour needs the machine time, so without complete telemetry the
 * production count cannot be vouched for either: a station outage takes both.
 */

export interface CoverageRules {
  /** Telemetry hours, or output per run hour, this much below the usual always mean a gap… */
  readonly shortfall: number;
  /** …and so does a fall of more than this many robust standard deviations of the person's own day-to-day variation. */
  readonly z: number;
  /** Reports a person needs before their own usual is the reference (until then: their station's). */
  readonly minHistory: number;
  /** A dead letter counts against a period it was sent in, or up to this long after (sources send what they measured a little later). */
  readonly deadLetterSlackMs: number;
}

/** A dead-lettered record of an employee, as kpi.dead_letters keeps it. */
export interface DeadLetterStamp {
  readonly employeeId: string;
  readonly source: Source;
  /** The record's Kafka timestamp: when its source sent it. */
  readonly sentAt: number;
}

/** Counts each employee's dead letters against the periods they were sent in (or just after). */
export function deadLettersPerPeriod(
  periods: readonly { employeeId: string; period: { start: number; end: number } }[],
  letters: readonly DeadLetterStamp[],
  slackMs: number,
): { production: number; telemetry: number }[] {
  const byEmployee = new Map<string, DeadLetterStamp[]>();
  for (const letter of letters) {
    let list = byEmployee.get(letter.employeeId);
    if (!list) byEmployee.set(letter.employeeId, (list = []));
    list.push(letter);
  }
  return periods.map(({ employeeId, period }) => {
    const counts = { production: 0, telemetry: 0 };
    for (const letter of byEmployee.get(employeeId) ?? []) {
      if (letter.sentAt >= period.start && letter.sentAt < period.end + slackMs) counts[letter.source] += 1;
    }
    return counts;
  });
}

export type GapReason = 'dead_letters' | 'nothing_measured' | 'short';

export interface CoverageGap {
  readonly source: Source;
  readonly reason: GapReason;
  /** What was measured and what is usual (telemetry hours; standard hours per run hour), for shortfalls. */
  readonly observed?: number;
  readonly usual?: number;
  /** Dead-lettered records. */
  readonly records?: number;
  /** A phrase a manager can check. */
  readonly text: string;
}

interface Usual {
  readonly value: number;
  /** Relative robust standard deviation of the person's (or station's) values. */
  readonly variation: number;
  readonly scope: 'person' | 'station';
}

/** The usual value of a measure for each employee, from their own reports or, with too few, their station's. */
function usualOf(records: readonly SelfReportRecord[], measure: (r: SelfReportRecord) => number | null, minHistory: number): Map<string, Usual> {
  const values = (group: readonly SelfReportRecord[]) => group.map(measure).filter((v): v is number => v !== null && v > 0);
  const stations = new Map<string, Usual | null>();
  for (const [station, group] of groupBy(records, (r) => r.stationId)) {
    const v = values(group);
    const { median, sigma } = robustSpread(v);
    stations.set(station, v.length > 0 ? { value: median, variation: sigma / median, scope: 'station' } : null);
  }
  const usual = new Map<string, Usual>();
  for (const [employee, group] of groupBy(records, (r) => r.employeeId)) {
    const v = values(group);
    if (v.length >= minHistory) {
      const { median, sigma } = robustSpread(v);
      usual.set(employee, { value: median, variation: sigma / median, scope: 'person' });
    } else {
      const station = stations.get(group[0]!.stationId);
      if (station) usual.set(employee, station);
    }
  }
  return usual;
}

const outputPerRunHour = (r: SelfReportRecord) =>
  r.measured.runHours > 0 && r.measured.standardHours > 0 ? r.measured.standardHours / r.measured.runHours : null;

const periodHours = (r: SelfReportRecord) => (r.period.end - r.period.start) / 3_600_000;

/**
 * The share of the report's period the IoT gateway reported on. A share, not
 * hours: a 22:00–06:00 shift lasts 9 hours the night the clocks go back and 7
 * the night they go forward, and people work shifts of different lengths, so
 * an hour's outage in a 9-hour night must not hide behind the usual 8 hours.
 */
const telemetryShare = (r: SelfReportRecord) => (periodHours(r) > 0 ? r.coverage.telemetryHours / periodHours(r) : null);

/**
 * Whether a report that claims more units than were counted looks more like
 * an MES that missed part of the count than like the person's usual: had the
 * report been right and the MES missed the rest, output per run hour would be
 * the usual less that share; it lies nearer that than the usual. A short
 * outage is a smaller share of a long shift (an hour is 8% of a twelve-hour
 * shift's count, 12.5% of an eight-hour one's), so it can hide within the
 * shortfall allowed; the report's own claim tells which it is.
 */
function explainedByMissingCount(r: SelfReportRecord, observed: number, usual: number): boolean {
  if (r.reported.units <= r.measured.units) return false;
  const ifMissed = (usual * r.measured.units) / r.reported.units;
  return usual - observed >= observed - ifMissed;
}

/** How completely a report's measured side is known. */
export interface Coverage {
  /** Measurement gaps: the figures they touch are not judged. */
  readonly gaps: readonly CoverageGap[];
  /**
   * Sources whose measurement matches what this person's own usual leads one
   * to expect, within `shortfall`, and (for production) nearer the usual than
   * the report's claim of missed units would put it: only there can one report
   * be judged on its own (a smaller gap could hide inside the person's
   * day-to-day variation).
   */
  readonly vouched: ReadonlySet<Source>;
}

/** The coverage of each report. */
export function judgeCoverage(records: readonly SelfReportRecord[], rules: CoverageRules): Map<SelfReportRecord, Coverage> {
  const usualShare = usualOf(records, telemetryShare, rules.minHistory);
  const usualOutput = usualOf(records, outputPerRunHour, rules.minHistory);
  const whose = (u: Usual) => (u.scope === 'person' ? "this operator's usual" : "the station's usual");
  const below = (observed: number, u: Usual) => observed < u.value * (1 - Math.max(rules.shortfall, rules.z * u.variation));
  const matches = (observed: number | null, u: Usual | undefined) => u?.scope === 'person' && observed !== null && observed >= u.value * (1 - rules.shortfall);

  const coverage = new Map<SelfReportRecord, Coverage>();
  for (const r of records) {
    const gaps: CoverageGap[] = [];
    const vouched = new Set<Source>();
    const { deadLetters, telemetryHours } = r.coverage;
    // The telemetry hours the usual share of this period comes to.
    const share = usualShare.get(r.employeeId);
    const expectedHours = share ? { ...share, value: share.value * periodHours(r) } : undefined;
    if (deadLetters.telemetry > 0) {
      gaps.push({
        source: 'telemetry',
        reason: 'dead_letters',
        records: deadLetters.telemetry,
        text: `${deadLetters.telemetry} telemetry record(s) of the period were dead-lettered`,
      });
    } else if (telemetryHours === 0) {
      if (r.reported.runHours > 0 || r.reported.units > 0)
        gaps.push({ source: 'telemetry', reason: 'nothing_measured', text: 'the IoT gateway sent no telemetry for the period' });
    } else if (expectedHours && below(telemetryHours, expectedHours)) {
      gaps.push({
        source: 'telemetry',
        reason: 'short',
        observed: telemetryHours,
        usual: expectedHours.value,
        text: `the IoT gateway reported on ${telemetryHours.toFixed(1)} h of the ${periodHours(r).toFixed(1)}-hour period, ${whose(expectedHours)} is ${expectedHours.value.toFixed(1)} h`,
      });
    } else if (matches(telemetryHours, expectedHours)) {
      vouched.add('telemetry');
    }
    if (deadLetters.production > 0) {
      gaps.push({
        source: 'production',
        reason: 'dead_letters',
        records: deadLetters.production,
        text: `${deadLetters.production} production record(s) of the period were dead-lettered`,
      });
    } else if (r.measured.units === 0) {
      if (r.reported.units > 0)
        gaps.push({ source: 'production', reason: 'nothing_measured', text: `the MES counted no units while ${r.reported.units} are reported` });
    } else if (gaps.length === 0) {
      // Output per run hour vouches for the count only where the machine time is complete.
      const u = usualOutput.get(r.employeeId);
      const observed = outputPerRunHour(r);
      if (u && observed !== null && below(observed, u)) {
        gaps.push({
          source: 'production',
          reason: 'short',
          observed,
          usual: u.value,
          text: `the MES counted ${Math.round(100 * (1 - observed / u.value))}% less output per run hour than ${whose(u)}`,
        });
      } else if (vouched.has('telemetry') && matches(observed, u) && !explainedByMissingCount(r, observed!, u!.value)) {
        vouched.add('production');
      }
    }
    coverage.set(r, { gaps, vouched });
  }
  return coverage;
}
