import { html, type Html } from '../html.js';
import { layout, pagesFor, type PageContext } from '../layout.js';
import type { MessageKey } from '../messages.js';

/** The start page: a sign-in button, or the pages the person's roles reach, each with what it holds. */
export function homePage(ctx: PageContext, issuer: string): Html {
  const { tr, person } = ctx;
  if (person === undefined) {
    return layout(
      ctx,
      tr.t('home.heading'),
      html`<p>${tr.t('home.intro')}</p>
        <p><a class="button" href="/auth/login">${tr.t('home.signIn')}</a></p>
        <p class="hint">${tr.t('home.signInWith', { issuer })}</p>`,
    );
  }
  const pages = pagesFor(person.principal);
  const roleful = pages.filter((p) => p.path !== '/manifest');
  return layout(
    ctx,
    tr.t('home.heading'),
    html`<p>${tr.t('home.intro')}</p>
      ${roleful.length === 0 ? html`<p class="notice error">${tr.t('home.noRole')}</p>` : ''}
      <h2>${tr.t('home.yourPages')}</h2>
      <ul class="cards">
        ${pages.map(
          (p) =>
            html`<li>
              <a href="${p.path}">${tr.t(p.label)}</a>
              <p>${tr.t(`home.${p.path.slice(1)}` as MessageKey)}</p>
            </li>`,
        )}
      </ul>`,
  );
}
