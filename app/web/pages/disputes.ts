import { MAX_TEXT_LENGTH } from '../../../people/reviewEvents.js';
import type { PlacedFlag } from '../../../sinks/clickhouse/queries/anomalies.js';
import type { Dispute, DisputeFigures } from '../../../sinks/clickhouse/queries/reviews.js';
import { html, type Html } from '../html.js';
import { badge, csrfField, layout, table, type PageContext } from '../layout.js';
import { disputeFiguresSection } from './figures.js';
import { flagCard } from './flag.js';

/** An open dispute with both sides, and HR's decision form. */
function openDispute(ctx: PageContext, dispute: Dispute, flag: PlacedFlag | undefined): Html {
  const { tr } = ctx;
  const id = dispute.dispute_id;
  return html`<article class="dispute-case" aria-labelledby="${id}">
    <h3 id="${id}">
      ${dispute.employee_id} · ${tr.term('subject', dispute.subject)} · ${tr.dateTime(dispute.opened_at, ctx.zoneOf(dispute.plant_id))}
      ${badge(ctx, dispute.status)}
    </h3>
    <div class="sides">
      <section>
        <h4>${tr.t('disputes.employeeSide')}</h4>
        <blockquote>${dispute.statement}</blockquote>
      </section>
      <section>
        <h4>${tr.t('disputes.reviewerSide')}</h4>
        ${flag === undefined ? html`<p>${tr.t('disputes.scoreSubject', { id: dispute.subject_id })}</p>` : flagCard(ctx, flag)}
      </section>
    </div>
    <form method="post" action="/disputes/${id}/decision" class="decision">
      ${csrfField(ctx)}<input type="hidden" name="return" value="/disputes" />
      <fieldset>
        <legend>${tr.t('disputes.outcome')}</legend>
        ${(['upheld', 'rejected'] as const).map(
          (o) =>
            html`<div>
              <input type="radio" name="outcome" value="${o}" id="${id}-${o}" required /><label for="${id}-${o}">${tr.t(`disputes.${o}`)}</label>
            </div>`,
        )}
      </fieldset>
      <label for="${id}-resolution">${tr.t('disputes.resolution')}</label>
      <textarea id="${id}-resolution" name="resolution" required maxlength="${MAX_TEXT_LENGTH}" rows="3"></textarea>
      <button type="submit">${tr.t('disputes.send')}</button>
    </form>
  </article>`;
}

/** HR's page: open disputes with both sides and the decision form, the decided ones, and the dispute figures. */
export function disputesPage(ctx: PageContext, disputes: readonly { dispute: Dispute; flag?: PlacedFlag }[], figures: readonly DisputeFigures[]): Html {
  const { tr } = ctx;
  const open = disputes.filter((d) => d.dispute.status === 'open');
  const decided = disputes.filter((d) => d.dispute.status !== 'open').reverse();
  return layout(
    ctx,
    tr.t('disputes.heading'),
    html`<section aria-labelledby="open">
        <h2 id="open">${tr.t('disputes.open')}</h2>
        ${open.length === 0 ? html`<p>${tr.t('disputes.none')}</p>` : open.map((d) => openDispute(ctx, d.dispute, d.flag))}
      </section>
      ${disputeFiguresSection(ctx, figures)}
      ${
        decided.length === 0
          ? ''
          : html`<section aria-labelledby="decided">
              <h2 id="decided">${tr.t('disputes.decided')}</h2>
              ${table(
                tr.t('disputes.decided'),
                [tr.t('col.employee'), tr.t('col.subject'), tr.t('col.statement'), tr.t('col.status'), tr.t('col.decided'), tr.t('col.resolution')],
                decided.map(({ dispute: d }) => [
                  d.employee_id,
                  tr.term('subject', d.subject),
                  d.statement,
                  badge(ctx, d.status),
                  d.decided_at === null ? tr.t('common.none') : tr.dateTime(d.decided_at, ctx.zoneOf(d.plant_id)),
                  d.resolution || tr.t('common.none'),
                ]),
              )}
            </section>`
      }`,
  );
}
