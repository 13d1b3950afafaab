import type { Principal } from '../scope.js';
import { html, type Html, type Piece } from './html.js';
import { LOCALES, type Translator } from './i18n.js';
import type { MessageKey } from './messages.js';
import type { Notice } from './session.js';

/** What every page is rendered with. */
export interface PageContext {
  readonly tr: Translator;
  /** The path asked for, with its query: where the language switch comes back to. */
  readonly path: string;
  readonly person?: { readonly principal: Principal; readonly name: string };
  /** A fresh CSRF token for the page's forms. */
  readonly csrf: () => string;
  readonly notice?: Notice;
  /** The time zone of a plant (KPI_PLANTS_FILE), or the deployment's (KPI_TIME_ZONE). */
  readonly zoneOf: (plantId: string) => string;
}

/** The pages each role reaches, in the navigation's order. */
const NAVIGATION: readonly { path: string; label: MessageKey; for: (p: Principal) => boolean }[] = [
  { path: '/me', label: 'nav.me', for: (p) => p.roles.has('employee') && p.employeeId !== undefined },
  { path: '/review', label: 'nav.review', for: (p) => p.roles.has('hr') || (p.roles.has('supervisor') && p.employeeId !== undefined) },
  { path: '/disputes', label: 'nav.disputes', for: (p) => p.roles.has('hr') },
  { path: '/overview', label: 'nav.overview', for: (p) => p.roles.has('hr') || p.roles.has('works_council') },
  { path: '/manifest', label: 'nav.manifest', for: () => true },
];

/** The pages a signed-in person reaches. */
export const pagesFor = (p: Principal) => NAVIGATION.filter((n) => n.for(p));

/** A hidden field with the page's CSRF token: every form that changes something carries one. */
export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrf()}" />`;

/**
 * The frame of every page: language, the skip link, the navigation of the
 * person's pages, the language switch (links, so it works without script), the
 * sign-out form, the one-time notice of the last form sent, and the content.
 * No script anywhere: the Content-Security-Policy forbids it.
 */
export function layout(ctx: PageContext, title: string, content: Piece): Html {
  const { tr, person } = ctx;
  const current = ctx.path.split('?')[0];
  const nav = person === undefined ? [] : [{ path: '/', label: 'nav.home' as MessageKey }, ...pagesFor(person.principal)];
  return html`<!doctype html>
    <html lang="${tr.locale}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · kpi-stream</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">${tr.t('app.skip')}</a>
        <header>
          <p class="brand">kpi-stream</p>
          ${
            nav.length === 0
              ? ''
              : html`<nav aria-label="${tr.t('nav.label')}">
                  <ul>
                    ${nav.map((n) => html`<li><a href="${n.path}" ${n.path === current ? html` aria-current="page"` : ''}>${tr.t(n.label)}</a></li>`)}
                  </ul>
                </nav>`
          }
          <div class="account">
            <nav aria-label="${tr.t('nav.language')}">
              <ul class="languages">
                ${LOCALES.map(
                  (l) =>
                    html`<li>
                      <a
                        href="/lang?to=${l}&amp;return=${encodeURIComponent(ctx.path)}"
                        lang="${l}"
                        hreflang="${l}"
                        ${l === tr.locale ? html` aria-current="true"` : ''}
                        >${tr.t(`lang.${l}`)}</a
                      >
                    </li>`,
                )}
              </ul>
            </nav>
            ${
              person === undefined
                ? ''
                : html`<span>${tr.t('nav.signedInAs', { name: person.name })}</span>
                    <form method="post" action="/auth/logout">${csrfField(ctx)}<button type="submit">${tr.t('nav.signOut')}</button></form>`
            }
          </div>
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${ctx.notice === undefined ? '' : html`<p class="notice ${ctx.notice.kind}" role="${ctx.notice.kind === 'error' ? 'alert' : 'status'}">${ctx.notice.text}</p>`}
          ${content}
        </main>
      </body>
    </html> `;
}

/** A table with a caption and column headers; cells are pieces. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Piece[])[]): Html {
  return html`<div class="scroll" tabindex="0" role="region" aria-label="${caption}">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${r.map((c) => html`<td>${c}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** A status as a labelled badge (its text says it; the colour only repeats it). */
export const badge = (ctx: PageContext, status: string): Html => html`<span class="badge ${status}">${ctx.tr.term('status', status)}</span>`;

/** Any JSON value as a definition list (objects), a table (lists of objects), a list or text: evidence and the manifest. */
export function structured(ctx: PageContext, value: unknown, name = ''): Html {
  if (value === null || value === undefined) return html`${ctx.tr.t('common.none')}`;
  if (typeof value === 'number') return html`${ctx.tr.number(value, 4)}`;
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      const keys = [...new Set(value.flatMap((v) => Object.keys(v as object)))];
      return html`<div class="scroll" tabindex="0" role="region" aria-label="${label(name)}">
        <table>
          <thead>
            <tr>
              ${keys.map((k) => html`<th scope="col">${label(k)}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${value.map(
              (v) =>
                html`<tr>
                  ${keys.map((k) => html`<td>${structured(ctx, (v as Record<string, unknown>)[k], k)}</td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
    }
    return html`<ul>
      ${value.map((v) => html`<li>${structured(ctx, v, name)}</li>`)}
    </ul>`;
  }
  if (typeof value === 'object') {
    return html`<dl>
      ${Object.entries(value).map(
        ([k, v]) =>
          html`<div>
            <dt>${label(k)}</dt>
            <dd>${structured(ctx, v, k)}</dd>
          </div>`,
      )}
    </dl>`;
  }
  return html`${String(value)}`;
}

/** A data key as words: `honest_spread` → "honest spread". */
const label = (key: string) => key.replace(/_/g, ' ');
