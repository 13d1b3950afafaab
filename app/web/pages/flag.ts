import { MAX_TEXT_LENGTH } from '../../../people/reviewEvents.js';
import type { PlacedFlag } from '../../../sinks/clickhouse/queries/anomalies.js';
import { html, type Html } from '../html.js';
import { badge, csrfField, structured, type PageContext } from '../layout.js';

/**
 * A flag with everything a person needs to judge it: whom and when it is
 * about (in the plant's time zone), reported against measured, the
 * explanation, and the evidence behind it (the shifts judged, the station's
 * honest spread, the threshold). `actions` are the forms the reader may use on it.
 */
export function flagCard(ctx: PageContext, flag: PlacedFlag, actions: Html | '' = ''): Html {
  const { tr } = ctx;
  const zone = ctx.zoneOf(flag.plantId);
  return html`<article class="flag" aria-labelledby="flag-${flag.flagId}">
    <h3 id="flag-${flag.flagId}">
      ${tr.term('kind', flag.kind)} · ${flag.employeeId} · ${tr.window(flag.windowStart, flag.windowEnd, zone)} ${badge(ctx, flag.status)}
    </h3>
    <dl class="facts">
      <div>
        <dt>${tr.t('col.station')}</dt>
        <dd>${flag.stationId}</dd>
      </div>
      <div>
        <dt>${tr.t('col.team')}</dt>
        <dd>${flag.teamId || tr.t('common.none')}</dd>
      </div>
      <div>
        <dt>${tr.t('col.severity')}</dt>
        <dd>${flag.severity}</dd>
      </div>
      <div>
        <dt>${tr.t('col.reported')}</dt>
        <dd>${tr.number(flag.reported)}</dd>
      </div>
      <div>
        <dt>${tr.t('col.measured')}</dt>
        <dd>${tr.number(flag.measured)}</dd>
      </div>
      <div>
        <dt>${tr.t('col.deviation')}</dt>
        <dd>${tr.number(flag.deviation, 3)}</dd>
      </div>
    </dl>
    <h4>${tr.t('flag.explanation')}</h4>
    <p class="explanation" lang="en">${flag.explanation}</p>
    <details>
      <summary>${tr.t('flag.evidence')}</summary>
      ${structured(ctx, flag.evidence)}
    </details>
    <p>
      <a href="/flags/${flag.flagId}">${tr.t('review.open')}<span class="visually-hidden"> ${flag.flagId}</span></a>
    </p>
    ${actions}
  </article>`;
}

/** The supervisor's and HR's decision on a proposed flag: one of three, with a required reason. */
export function reviewForm(ctx: PageContext, flag: PlacedFlag, returnTo: string): Html {
  const { tr } = ctx;
  const id = flag.flagId;
  return html`<form method="post" action="/flags/${id}/review" class="decision">
    ${csrfField(ctx)}<input type="hidden" name="return" value="${returnTo}" />
    <fieldset>
      <legend>${tr.t('review.decision')}</legend>
      ${(['confirmed', 'dismissed', 'measurement_problem'] as const).map(
        (d) =>
          html`<div><input type="radio" name="decision" value="${d}" id="${id}-${d}" required /><label for="${id}-${d}">${tr.t(`review.${d}`)}</label></div>`,
      )}
    </fieldset>
    <label for="${id}-reason">${tr.t('review.reason')}</label>
    <textarea id="${id}-reason" name="reason" required maxlength="${MAX_TEXT_LENGTH}" rows="3"></textarea>
    <button type="submit">${tr.t('review.send')}</button>
  </form>`;
}

/** An employee's dispute of a flag about them or of one of their scores, with a required statement. */
export function disputeForm(ctx: PageContext, subject: 'flag' | 'score', subjectId: string, returnTo: string): Html {
  const { tr } = ctx;
  const id = `dispute-${subjectId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return html`<details class="dispute">
    <summary>${tr.t(subject === 'flag' ? 'me.disputeFlag' : 'me.disputeScore')}</summary>
    <form method="post" action="/disputes">
      ${csrfField(ctx)}<input type="hidden" name="return" value="${returnTo}" /> <input type="hidden" name="subject" value="${subject}" /><input
        type="hidden"
        name="subject_id"
        value="${subjectId}"
      />
      <label for="${id}">${tr.t('me.statement')}</label>
      <textarea id="${id}" name="statement" required maxlength="${MAX_TEXT_LENGTH}" rows="3"></textarea>
      <button type="submit">${tr.t('me.send')}</button>
    </form>
  </details>`;
}
