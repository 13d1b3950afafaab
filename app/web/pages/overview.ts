import type { Overview, TeamSummary } from '../../desk.js';
import { html, type Html } from '../html.js';
import { layout, table, type PageContext } from '../layout.js';
import { disputeFiguresSection } from './figures.js';

/** How many of a group's latest windows the page shows. */
const RECENT_WINDOWS = 7;

function groupTable(ctx: PageContext, caption: string, rows: readonly Record<string, unknown>[]): Html {
  const { tr } = ctx;
  return table(
    caption,
    [tr.t('col.window'), tr.t('col.employees'), tr.t('col.units'), tr.t('col.efficiency'), tr.t('col.defectRate'), tr.t('col.satisfaction')],
    rows.map((w) => [
      tr.window(String(w.window_start), String(w.window_end), ctx.zoneOf(String(w.plant_id ?? ''))),
      tr.number(w.employees, 0),
      tr.number(w.units, 0),
      tr.percent(w.efficiency),
      tr.percent(w.defect_rate),
      tr.number(w.satisfaction_avg, 2),
    ]),
  );
}

/**
 * The works council's (and HR's) page: each team's and plant's latest
 * figures, groups of 5 people or more only (the views withhold the rest), and
 * the dispute figures. No one is named: these rows carry no employee id.
 */
export function overviewPage(ctx: PageContext, overview: Overview, teams: readonly TeamSummary[]): Html {
  const { tr } = ctx;
  const plants = [...new Set(overview.plantWindows.map((w) => String(w.plant_id)))];
  return layout(
    ctx,
    tr.t('overview.heading'),
    html`<p>${tr.t('overview.intro')}</p>
      <section aria-labelledby="plants">
        <h2 id="plants">${tr.t('overview.plants')}</h2>
        ${
          plants.length === 0
            ? html`<p>${tr.t('overview.none')}</p>`
            : plants.map((plant) =>
                groupTable(ctx, `${tr.t('col.plant')} ${plant}`, overview.plantWindows.filter((w) => String(w.plant_id) === plant).slice(-RECENT_WINDOWS)),
              )
        }
      </section>
      <section aria-labelledby="teams">
        <h2 id="teams">${tr.t('overview.teams')}</h2>
        ${
          teams.length === 0
            ? html`<p>${tr.t('overview.none')}</p>`
            : teams.map((t) => groupTable(ctx, `${tr.t('col.team')} ${t.teamId}`, t.windows.slice(-RECENT_WINDOWS)))
        }
      </section>
      ${disputeFiguresSection(ctx, overview.disputes)}`,
  );
}
