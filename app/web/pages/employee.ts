import type { OwnFigures } from '../../desk.js';
import { html, type Html } from '../html.js';
import { badge, layout, table, type PageContext } from '../layout.js';
import { disputeForm, flagCard } from './flag.js';

/** The score a dispute names: its period and station (a score has no id of its own). */
export const scoreId = (s: Record<string, unknown>) => `${String(s.period_type)}:${String(s.period_start)}:${String(s.station_id)}`;

/**
 * An employee's own page: their windows (reported beside measured), scores
 * and grades (absolute and calibrated, with the points behind them), the flags
 * about them with their evidence and a dispute button, and their disputes.
 */
export function employeePage(ctx: PageContext, me: OwnFigures): Html {
  const { tr } = ctx;
  const disputed = new Set(me.disputes.filter((d) => d.status === 'open').map((d) => d.subject_id));
  const canDispute = (subjectId: string) => !disputed.has(subjectId);
  const windows = [...me.windows].reverse();
  return layout(
    ctx,
    tr.t('me.heading'),
    html`<p>${tr.t('me.intro', { employee: me.employeeId })}</p>
      <section aria-labelledby="flags">
        <h2 id="flags">${tr.t('me.flags')}</h2>
        ${
          me.flags.length === 0
            ? html`<p>${tr.t('me.noFlags')}</p>`
            : me.flags.map((f) => flagCard(ctx, f, f.status === 'confirmed' && canDispute(f.flagId) ? disputeForm(ctx, 'flag', f.flagId, '/me') : ''))
        }
      </section>
      <section aria-labelledby="disputes">
        <h2 id="disputes">${tr.t('me.disputes')}</h2>
        ${
          me.disputes.length === 0
            ? html`<p>${tr.t('me.noDisputes')}</p>`
            : table(
                tr.t('me.disputes'),
                [tr.t('col.subject'), tr.t('col.opened'), tr.t('col.statement'), tr.t('col.status'), tr.t('col.decided'), tr.t('col.resolution')],
                me.disputes.map((d) => [
                  html`${tr.term('subject', d.subject)} <code>${d.subject_id}</code>`,
                  tr.dateTime(d.opened_at, ctx.zoneOf(d.plant_id)),
                  d.statement,
                  badge(ctx, d.status),
                  d.decided_at === null ? tr.t('common.none') : tr.dateTime(d.decided_at, ctx.zoneOf(d.plant_id)),
                  d.resolution || tr.t('common.none'),
                ]),
              )
        }
      </section>
      <section aria-labelledby="scores">
        <h2 id="scores">${tr.t('me.scores')}</h2>
        <p>${tr.t('me.scoresWhy')}</p>
        ${
          me.scores.length === 0
            ? html`<p>${tr.t('me.noScores')}</p>`
            : table(
                tr.t('me.scores'),
                [
                  tr.t('col.period'),
                  tr.t('col.station'),
                  tr.t('col.score'),
                  tr.t('col.points'),
                  tr.t('col.grade'),
                  tr.t('col.calibratedGrade'),
                  tr.t('col.rank'),
                  '',
                ],
                me.scores.map((s) => [
                  html`${String(s.period_type)} ${tr.dateTime(String(s.period_start), ctx.zoneOf(''))}`,
                  String(s.station_id),
                  tr.number(s.score, 1),
                  `${tr.number(s.efficiency_points, 1)} · ${tr.number(s.quality_points, 1)} · ${tr.number(s.satisfaction_points, 1)}`,
                  s.grade ? tr.term('grade', String(s.grade)) : tr.t('common.none'),
                  s.calibrated_grade ? tr.term('grade', String(s.calibrated_grade)) : tr.t('common.none'),
                  s.station_rank === null || s.station_rank === undefined ? tr.t('common.none') : `${String(s.station_rank)} / ${String(s.station_employees)}`,
                  canDispute(scoreId(s)) ? disputeForm(ctx, 'score', scoreId(s), '/me') : '',
                ]),
              )
        }
      </section>
      <section aria-labelledby="windows">
        <h2 id="windows">${tr.t('me.windows')}</h2>
        ${table(
          tr.t('me.windows'),
          [
            tr.t('col.window'),
            tr.t('col.station'),
            tr.t('col.units'),
            tr.t('col.reported'),
            tr.t('col.efficiency'),
            tr.t('col.defectRate'),
            tr.t('col.satisfaction'),
            tr.t('col.selfScore'),
          ],
          windows.map((w) => [
            tr.window(String(w.window_start), String(w.window_end), ctx.zoneOf(String(w.plant_id ?? ''))),
            String(w.station_id ?? ''),
            tr.number(w.units, 0),
            tr.number(w.reported_units, 0),
            tr.percent(w.efficiency),
            tr.percent(w.defect_rate),
            tr.number(w.satisfaction_avg, 2),
            tr.number(w.self_score, 1),
          ]),
        )}
      </section>`,
  );
}
