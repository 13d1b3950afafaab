import type { PlacedFlag } from '../../../sinks/clickhouse/queries/anomalies.js';
import { html, type Html } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import { flagCard, reviewForm } from './flag.js';

/** The supervisor's (and HR's) page: the flags in their scope awaiting review, each with its evidence and the decision form. */
export function reviewPage(ctx: PageContext, flags: readonly PlacedFlag[]): Html {
  const { tr } = ctx;
  return layout(
    ctx,
    tr.t('review.heading'),
    html`<p>${tr.t('review.intro')}</p>
      ${flags.length === 0 ? html`<p>${tr.t('review.none')}</p>` : flags.map((f) => flagCard(ctx, f, reviewForm(ctx, f, '/review')))}`,
  );
}

/** One flag on its own page (the address alerts link to), with the forms its reader may use. */
export function flagPage(ctx: PageContext, flag: PlacedFlag, actions: Html | ''): Html {
  const { tr } = ctx;
  return layout(ctx, tr.t('flag.heading', { employee: flag.employeeId }), html`${flagCard(ctx, flag, actions)}`);
}

/** The flags behind an alert's link, each with the forms its reader may use on it. */
export function flagsPage(ctx: PageContext, cards: readonly Html[]): Html {
  return layout(ctx, ctx.tr.t('review.heading'), html`${cards}`);
}
