import type { DisputeFigures } from '../../../sinks/clickhouse/queries/reviews.js';
import { html, type Html } from '../html.js';
import { table, type PageContext } from '../layout.js';

/** The dispute figures per month and plant: disputes per 100 people, the share upheld, the median days to decide. */
export function disputeFiguresSection(ctx: PageContext, figures: readonly DisputeFigures[]): Html {
  const { tr } = ctx;
  return html`<section aria-labelledby="dispute-figures">
    <h2 id="dispute-figures">${tr.t('figures.heading')}</h2>
    <p>${tr.t('figures.intro')}</p>
    ${
      figures.length === 0
        ? html`<p>${tr.t('figures.none')}</p>`
        : table(
            tr.t('figures.heading'),
            [
              tr.t('col.period'),
              tr.t('col.plant'),
              tr.t('col.employees'),
              tr.t('col.disputes'),
              tr.t('col.per100'),
              tr.t('col.shareUpheld'),
              tr.t('col.medianDays'),
            ],
            figures.map((f) => [
              f.period_start.slice(0, 7),
              f.plant_id,
              tr.number(f.employees, 0),
              tr.number(f.disputes, 0),
              tr.number(f.disputes_per_100_employees, 1),
              tr.percent(f.share_upheld),
              tr.number(f.median_days_to_decide, 1),
            ]),
          )
    }
  </section>`;
}
