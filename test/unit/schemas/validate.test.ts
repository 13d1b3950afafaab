import type { AssignmentChanged } from '../../../schemas/events.js';
import type { KindedEvent } from '../../../schemas/kinds.js';
import { defaultConfig } from '../../../core/config.js';
import { assignmentProblem, recordLimitsOf, recordProblem } from '../../../schemas/validate.js';
import { feedback, inspection, production, selfReport, telemetry } from '../support/events.js';

const NOW = Date.UTC(2026, 10, 20);
const problem = (tagged: KindedEvent, limits = recordLimitsOf(defaultConfig())) => recordProblem(tagged, limits, NOW);

test.each<[string, KindedEvent]>([
  ['production', { kind: 'production', event: production() }],
  ['telemetry', { kind: 'telemetry', event: telemetry() }],
  ['inspection', { kind: 'inspection', event: inspection() }],
  ['feedback', { kind: 'feedback', event: feedback() }],
  ['self-report', { kind: 'selfReport', event: selfReport() }],
  ['self-report without a score', { kind: 'selfReport', event: selfReport({ self_score: null }) }],
  ['zero units', { kind: 'production', event: production({ units: 0 }) }],
  [
    'ids with braces, quotes and unicode',
    { kind: 'production', event: production({ employee_id: '{a:1}\'"; DROP TABLE x --', station_id: 'Ståtion-Ω-工位', work_order_id: '{{x}}' }) },
  ],
  ['an event two minutes ahead of the wall clock', { kind: 'production', event: production({ event_time: NOW + 2 * 60_000 }) }],
  ['an event from 2001 (a backfill)', { kind: 'production', event: production({ event_time: Date.UTC(2001, 0, 1) }) }],
])('a valid %s passes', (_name, tagged) => {
  expect(problem(tagged)).toBeUndefined();
});

test.each<[string, KindedEvent, string, RegExp]>([
  ['negative units', { kind: 'production', event: production({ units: -1 }) }, 'KPI_ERR_INVALID_VALUE', /units must be >= 0/],
  [
    'zero standard time',
    { kind: 'production', event: production({ standard_seconds_per_unit: 0 }) },
    'KPI_ERR_INVALID_VALUE',
    /standard_seconds_per_unit must be > 0/,
  ],
  ['no employee', { kind: 'production', event: production({ employee_id: ' ' }) }, 'KPI_ERR_INVALID_VALUE', /cannot be attributed/],
  ['no event id', { kind: 'production', event: production({ event_id: '' }) }, 'KPI_ERR_INVALID_VALUE', /event_id is empty/],
  ['a blank event id', { kind: 'feedback', event: feedback({ event_id: ' \t' }) }, 'KPI_ERR_INVALID_VALUE', /event_id is empty/],
  [
    'an interval ending before it starts',
    { kind: 'telemetry', event: telemetry({ interval_end: telemetry().interval_start - 1 }) },
    'KPI_ERR_INVALID_VALUE',
    /before interval_start/,
  ],
  [
    'a 16-minute interval',
    { kind: 'telemetry', event: telemetry({ interval_end: telemetry().interval_start + 16 * 60_000 }) },
    'KPI_ERR_INVALID_VALUE',
    /at most 15 minutes/,
  ],
  ['negative run time', { kind: 'telemetry', event: telemetry({ run_seconds: -5 }) }, 'KPI_ERR_INVALID_VALUE', /run_seconds must be >= 0/],
  ['more down time than the interval', { kind: 'telemetry', event: telemetry({ down_seconds: 1000 }) }, 'KPI_ERR_INVALID_VALUE', /exceeds the interval length/],
  [
    'more defective than inspected',
    { kind: 'inspection', event: inspection({ units_defective: 11 }) },
    'KPI_ERR_INVALID_VALUE',
    /units_defective must be within 0..units_inspected/,
  ],
  ['negative inspected', { kind: 'inspection', event: inspection({ units_inspected: -2 }) }, 'KPI_ERR_INVALID_VALUE', /units_inspected must be >= 0/],
  [
    'inspected before produced',
    { kind: 'inspection', event: inspection({ inspected_time: inspection().production_time - 1 }) },
    'KPI_ERR_INVALID_VALUE',
    /before production_time/,
  ],
  ['satisfaction 101', { kind: 'feedback', event: feedback({ satisfaction: 101 }) }, 'KPI_ERR_INVALID_VALUE', /satisfaction must be within 0..100/],
  [
    'an empty report period',
    { kind: 'selfReport', event: selfReport({ period_end: selfReport().period_start }) },
    'KPI_ERR_INVALID_PERIOD',
    /period_end .* is not after period_start/,
  ],
  [
    'a report period of two days',
    {
      kind: 'selfReport',
      event: selfReport({ period_end: selfReport().period_start + 48 * 3_600_000, submitted_time: selfReport().period_start + 49 * 3_600_000 }),
    },
    'KPI_ERR_INVALID_PERIOD',
    /the period is 48.0 h long; a report covers at most 36.0 h/,
  ],
  [
    'a report submitted before its period',
    { kind: 'selfReport', event: selfReport({ submitted_time: selfReport().period_start - 60_000 }) },
    'KPI_ERR_INVALID_PERIOD',
    /submitted_time .* is before the period it reports on begins/,
  ],
  [
    'a report submitted a month later',
    {
      kind: 'selfReport',
      event: selfReport({ period_start: Date.UTC(2026, 9, 1, 6), period_end: Date.UTC(2026, 9, 1, 14), submitted_time: Date.UTC(2026, 9, 31, 14) }),
    },
    'KPI_ERR_INVALID_PERIOD',
    /submitted 720.0 h after its period ended; .*KPI_REPORT_MAX_DELAY/,
  ],
  ['a self-score of 120', { kind: 'selfReport', event: selfReport({ self_score: 120 }) }, 'KPI_ERR_INVALID_VALUE', /self_score must be null or within 0..100/],
  ['negative reported units', { kind: 'selfReport', event: selfReport({ reported_units: -3 }) }, 'KPI_ERR_INVALID_VALUE', /reported_units must be >= 0/],
  ['NaN satisfaction', { kind: 'feedback', event: feedback({ satisfaction: Number.NaN }) }, 'KPI_ERR_NOT_FINITE', /satisfaction is NaN/],
  [
    'infinite standard time',
    { kind: 'production', event: production({ standard_seconds_per_unit: Number.POSITIVE_INFINITY }) },
    'KPI_ERR_NOT_FINITE',
    /standard_seconds_per_unit is Infinity/,
  ],
  ['a NaN self-score', { kind: 'selfReport', event: selfReport({ self_score: Number.NaN }) }, 'KPI_ERR_NOT_FINITE', /self_score is NaN/],
  [
    'a 129-character employee id',
    { kind: 'production', event: production({ employee_id: 'e'.repeat(129) }) },
    'KPI_ERR_ID_TOO_LONG',
    /employee_id is 129 characters long; .* at most 128/,
  ],
  [
    'a long defect code',
    { kind: 'inspection', event: inspection({ defect_codes: ['ok', 'x'.repeat(5000)] }) },
    'KPI_ERR_ID_TOO_LONG',
    /defect_codes\[1\] is 5000 characters long/,
  ],
  [
    '1001 defect codes',
    { kind: 'inspection', event: inspection({ defect_codes: Array.from({ length: 1001 }, () => 'D01') }) },
    'KPI_ERR_ARRAY_TOO_LONG',
    /defect_codes has 1001 items/,
  ],
  [
    'a time in the year 2100',
    { kind: 'production', event: production({ event_time: Date.UTC(2100, 0, 1) }) },
    'KPI_ERR_INVALID_TIME',
    /event_time 4102444800000 \(2100-01-01T00:00:00.000Z\) is later than the wall clock plus KPI_MAX_CLOCK_SKEW/,
  ],
  [
    'a time in seconds',
    { kind: 'production', event: production({ event_time: Math.floor(NOW / 1000) - 3600 }) },
    'KPI_ERR_INVALID_TIME',
    /earlier than KPI_MIN_EVENT_TIME .* looks like seconds, not milliseconds \(2026-11-19T23:00:00.000Z\)/,
  ],
  [
    'a time in microseconds',
    { kind: 'telemetry', event: telemetry({ interval_start: (NOW - 3_600_000) * 1000, interval_end: (NOW - 3_600_000) * 1000 + 900_000 }) },
    'KPI_ERR_INVALID_TIME',
    /interval_start .* later than the wall clock .* looks like microseconds, not milliseconds \(2026-11-19T23:00:00.000Z\)/,
  ],
  [
    'a time in nanoseconds',
    { kind: 'production', event: production({ event_time: (NOW - 3_600_000) * 1_000_000 }) },
    'KPI_ERR_INVALID_TIME',
    /event_time \S+ is later than the wall clock .* looks like nanoseconds, not milliseconds \(2026-11-19T23:00:00.000Z\)$/,
  ],
  [
    'a time past what a date can hold',
    { kind: 'production', event: production({ event_time: 8.64e15 + 1 }) },
    'KPI_ERR_INVALID_TIME',
    /^event_time 8640000000000001 is later than the wall clock plus KPI_MAX_CLOCK_SKEW \(2026-11-20T00:05:00.000Z\)$/,
  ],
  [
    'the last time a date can hold',
    { kind: 'production', event: production({ event_time: 8.64e15 }) },
    'KPI_ERR_INVALID_TIME',
    /^event_time 8640000000000000 \(\+275760-09-13T00:00:00.000Z\) is later/,
  ],
  [
    'a time that is no integer',
    { kind: 'production', event: production({ event_time: NOW - 0.5 }) },
    'KPI_ERR_INVALID_TIME',
    /^event_time 1795132799999.5 is not a whole number of milliseconds$/,
  ],
  [
    'a submit time a day ahead',
    { kind: 'selfReport', event: selfReport({ submitted_time: NOW + 86_400_000 }) },
    'KPI_ERR_INVALID_TIME',
    /submitted_time .* later than the wall clock/,
  ],
  [
    'a time before 2000',
    { kind: 'feedback', event: feedback({ production_time: Date.UTC(1999, 11, 31) }) },
    'KPI_ERR_INVALID_TIME',
    /production_time .* earlier than KPI_MIN_EVENT_TIME \(2000-01-01T00:00:00.000Z\)/,
  ],
  [
    'a negative time',
    { kind: 'production', event: production({ event_time: -1 }) },
    'KPI_ERR_INVALID_TIME',
    /event_time -1 .* earlier than KPI_MIN_EVENT_TIME/,
  ],
])('%s is refused', (_name, tagged, code, message) => {
  expect(problem(tagged)).toEqual({ code, message: expect.stringMatching(message) });
});

test('the limits are settings', () => {
  const event: KindedEvent = { kind: 'production', event: production({ employee_id: 'e'.repeat(200), event_time: NOW + 30 * 60_000 }) };
  expect(problem(event)?.code).toBe('KPI_ERR_ID_TOO_LONG');
  expect(problem(event, { ...recordLimitsOf(defaultConfig()), maxIdLength: 256 })?.code).toBe('KPI_ERR_INVALID_TIME');
  expect(problem(event, { ...recordLimitsOf(defaultConfig()), maxIdLength: 256, maxClockSkew: 3_600_000 })).toBeUndefined();
});

describe('every limit, on both sides', () => {
  const code = (tagged: KindedEvent) => problem(tagged)?.code;
  const { maxIdLength, maxArrayLength, minEventTime, maxClockSkew, maxReportPeriod, maxReportDelay } = recordLimitsOf(defaultConfig());

  test('ids and codes of KPI_MAX_ID_LENGTH characters pass; one more is too long', () => {
    expect(code({ kind: 'production', event: production({ employee_id: 'e'.repeat(maxIdLength) }) })).toBeUndefined();
    expect(code({ kind: 'production', event: production({ work_order_id: 'w'.repeat(maxIdLength + 1) }) })).toBe('KPI_ERR_ID_TOO_LONG');
    expect(code({ kind: 'inspection', event: inspection({ defect_codes: ['d'.repeat(maxIdLength)] }) })).toBeUndefined();
    expect(code({ kind: 'inspection', event: inspection({ defect_codes: ['d'.repeat(maxIdLength + 1)] }) })).toBe('KPI_ERR_ID_TOO_LONG');
  });

  test('arrays of KPI_MAX_ARRAY_LENGTH items pass; one more is too many', () => {
    const codes = (n: number) => Array.from({ length: n }, () => 'D01');
    expect(code({ kind: 'inspection', event: inspection({ defect_codes: codes(maxArrayLength) }) })).toBeUndefined();
    expect(code({ kind: 'inspection', event: inspection({ defect_codes: codes(maxArrayLength + 1) }) })).toBe('KPI_ERR_ARRAY_TOO_LONG');
  });

  test('times from KPI_MIN_EVENT_TIME to the wall clock plus KPI_MAX_CLOCK_SKEW pass; 1 ms outside is refused', () => {
    const at = (event_time: number) => code({ kind: 'production', event: production({ event_time }) });
    expect([minEventTime - 1, minEventTime, NOW + maxClockSkew, NOW + maxClockSkew + 1].map(at)).toEqual([
      'KPI_ERR_INVALID_TIME',
      undefined,
      undefined,
      'KPI_ERR_INVALID_TIME',
    ]);
  });

  test('a report covers at most 36 hours and is submitted from its start until KPI_REPORT_MAX_DELAY after its end', () => {
    const start = selfReport().period_start;
    const report = (period: number, submittedAfterStart: number) =>
      code({ kind: 'selfReport', event: selfReport({ period_end: start + period, submitted_time: start + submittedAfterStart }) });
    expect(report(maxReportPeriod, maxReportPeriod)).toBeUndefined();
    expect(report(maxReportPeriod + 1, maxReportPeriod + 1)).toBe('KPI_ERR_INVALID_PERIOD');
    expect(report(1, 1)).toBeUndefined();
    expect(report(8 * 3_600_000, 0)).toBeUndefined();
    expect(report(8 * 3_600_000, -1)).toBe('KPI_ERR_INVALID_PERIOD');
    expect(report(8 * 3_600_000, 8 * 3_600_000 + maxReportDelay)).toBeUndefined();
    expect(report(8 * 3_600_000, 8 * 3_600_000 + maxReportDelay + 1)).toBe('KPI_ERR_INVALID_PERIOD');
  });

  test('a time is taken for seconds, microseconds or nanoseconds only when so read it falls within the limits', () => {
    const hint = (event_time: number) => /looks like (\w+)/.exec(problem({ kind: 'production', event: production({ event_time }) })?.message ?? '')?.[1];
    const latest = NOW + maxClockSkew;
    expect([minEventTime / 1000, latest / 1000, minEventTime / 1000 - 1, latest / 1000 + 1].map(hint)).toEqual(['seconds', 'seconds', undefined, undefined]);
    expect([minEventTime * 1000, latest * 1000, latest * 1000 + 999, latest * 1000 + 1000].map(hint)).toEqual([
      'microseconds',
      'microseconds',
      'microseconds',
      undefined,
    ]);
    expect([minEventTime * 1_000_000, latest * 1_000_000].map(hint)).toEqual(['nanoseconds', 'nanoseconds']);
  });
});

describe('assignments (hr.assignments.v1)', () => {
  const DAY = 86_400_000;
  const YEAR = 365 * DAY;
  const assignment = (overrides: Partial<AssignmentChanged> = {}): AssignmentChanged => ({
    event_id: 'a-1',
    employee_id: 'emp-1',
    plant_id: 'plant-sz',
    team_id: 'line-3',
    supervisor_id: 'lead-3',
    valid_from: Date.UTC(2026, 10, 1),
    valid_to: null,
    submitted_time: Date.UTC(2026, 9, 28),
    ...overrides,
  });
  const check = (a: AssignmentChanged) => assignmentProblem(a, recordLimitsOf(defaultConfig()), NOW);

  test.each<[string, AssignmentChanged]>([
    ['open assignment', assignment()],
    ['closed one, one millisecond long', assignment({ valid_to: Date.UTC(2026, 10, 1) + 1 })],
    ['transfer planned for next year, submitted today', assignment({ valid_from: NOW + YEAR, submitted_time: NOW })],
    ['team without a supervisor', assignment({ supervisor_id: null })],
    ['hire date before KPI_MIN_EVENT_TIME', assignment({ valid_from: Date.UTC(1998, 3, 1) })],
    ['validity from 1971-01-01 exactly', assignment({ valid_from: Date.UTC(1971, 0, 1) })],
    ['validity ending 10 years ahead to the millisecond', assignment({ valid_to: NOW + 10 * YEAR })],
  ])('a valid %s passes', (_name, a) => {
    expect(check(a)).toBeUndefined();
  });

  test.each<[string, AssignmentChanged, string, string]>([
    ['no plant', assignment({ plant_id: ' ' }), 'KPI_ERR_INVALID_VALUE', 'plant_id is empty'],
    ['no team', assignment({ team_id: '' }), 'KPI_ERR_INVALID_VALUE', 'team_id is empty'],
    ['no employee', assignment({ employee_id: '' }), 'KPI_ERR_INVALID_VALUE', 'employee_id is empty'],
    ['no event id', assignment({ event_id: '\t' }), 'KPI_ERR_INVALID_VALUE', 'event_id is empty'],
    [
      'a validity ending where it starts',
      assignment({ valid_to: Date.UTC(2026, 10, 1) }),
      'KPI_ERR_INVALID_PERIOD',
      'valid_to 2026-11-01T00:00:00.000Z is not after valid_from 2026-11-01T00:00:00.000Z',
    ],
    [
      'a submission from the future',
      assignment({ submitted_time: NOW + DAY }),
      'KPI_ERR_INVALID_TIME',
      'submitted_time 1795219200000 (2026-11-21T00:00:00.000Z) is later than the wall clock plus KPI_MAX_CLOCK_SKEW (2026-11-20T00:05:00.000Z)',
    ],
    [
      'a validity start in seconds',
      assignment({ valid_from: Date.UTC(2026, 10, 1) / 1000 }),
      'KPI_ERR_INVALID_TIME',
      'valid_from 1793491200 (1970-01-21T18:11:31.200Z) is earlier than 1971-01-01 (1971-01-01T00:00:00.000Z); it looks like seconds, not milliseconds (2026-11-01T00:00:00.000Z)',
    ],
    [
      'a validity end in microseconds',
      assignment({ valid_to: Date.UTC(2026, 11, 1) * 1000 }),
      'KPI_ERR_INVALID_TIME',
      'valid_to 1796083200000000 (+058885-08-11T00:00:00.000Z) is later than the wall clock plus 10 years (2036-11-17T00:00:00.000Z); it looks like microseconds, not milliseconds (2026-12-01T00:00:00.000Z)',
    ],
    [
      'a validity start one millisecond before 1971',
      assignment({ valid_from: Date.UTC(1971, 0, 1) - 1 }),
      'KPI_ERR_INVALID_TIME',
      'valid_from 31535999999 (1970-12-31T23:59:59.999Z) is earlier than 1971-01-01 (1971-01-01T00:00:00.000Z)',
    ],
    [
      'a validity start one millisecond past 10 years ahead',
      assignment({ valid_from: NOW + 10 * YEAR + 1 }),
      'KPI_ERR_INVALID_TIME',
      'valid_from 2110492800001 (2036-11-17T00:00:00.001Z) is later than the wall clock plus 10 years (2036-11-17T00:00:00.000Z)',
    ],
    [
      'a team id longer than KPI_MAX_ID_LENGTH',
      assignment({ team_id: 't'.repeat(129) }),
      'KPI_ERR_ID_TOO_LONG',
      'team_id is 129 characters long; ids and codes are at most 128 (KPI_MAX_ID_LENGTH)',
    ],
    [
      'a validity end one millisecond past 10 years ahead',
      assignment({ valid_to: NOW + 10 * YEAR + 1 }),
      'KPI_ERR_INVALID_TIME',
      'valid_to 2110492800001 (2036-11-17T00:00:00.001Z) is later than the wall clock plus 10 years (2036-11-17T00:00:00.000Z)',
    ],
  ])('%s is refused', (_name, a, code, message) => {
    expect(check(a)).toEqual({ code, message });
  });
});
