import { html, type Html } from '../html.js';
import { layout, type PageContext } from '../layout.js';

/** A page that says what went wrong, in the page's language, and the way back. */
export function errorPage(ctx: PageContext, message: string): Html {
  const { tr } = ctx;
  return layout(
    ctx,
    tr.t('error.heading'),
    html`<p class="notice error" role="alert">${message}</p>
      <p><a href="/">${tr.t('error.back')}</a></p>`,
  );
}
