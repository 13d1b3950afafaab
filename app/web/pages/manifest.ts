import type { Manifest } from '../../../manifest/manifest.js';
import { html, type Html } from '../html.js';
import { layout, structured, type PageContext } from '../layout.js';

/** The manifest (`kpi-stream manifest`) made from the running configuration, section by section. */
export function manifestPage(ctx: PageContext, manifest: Manifest): Html {
  const { tr } = ctx;
  return layout(
    ctx,
    tr.t('manifest.heading'),
    html`<p>${tr.t('manifest.intro')}</p>
      ${Object.entries(manifest).map(
        ([section, value]) =>
          html`<section aria-labelledby="m-${section}">
            <h2 id="m-${section}" lang="en">${section.replace(/_/g, ' ')}</h2>
            <div lang="en">${structured(ctx, value, section)}</div>
          </section>`,
      )}`,
  );
}
