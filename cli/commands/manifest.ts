import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../core/errors.js';
import { loadManifestInputs, manifest } from '../../manifest/manifest.js';
import { MANIFEST_FORMATS, renderManifest, type ManifestFormat } from '../../manifest/render.js';
import type { Command } from '../command.js';

export interface ManifestArgs {
  readonly format: ManifestFormat;
  /** The file to write (stdout without it). */
  readonly out?: string;
}

/** The arguments of `manifest`; a bad one throws ConfigError naming it. */
export function parseManifestArgs(args: readonly string[]): ManifestArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], strict: true, options: { format: { type: 'string', default: 'markdown' }, out: { type: 'string' } } }));
  } catch (error) {
    throw new ConfigError('manifest', (error as Error).message);
  }
  if (!(MANIFEST_FORMATS as readonly string[]).includes(values.format!))
    throw new ConfigError('--format', `expected ${MANIFEST_FORMATS.join(' or ')}, got ${JSON.stringify(values.format)}`);
  return { format: values.format as ManifestFormat, ...(values.out === undefined ? {} : { out: values.out }) };
}

export const manifestCommand: Command = {
  name: 'manifest',
  summary: 'Print what is measured, which rules judge it, who sees what and how long it is kept: the annex of a works agreement',
  usage: `Usage: kpi-stream manifest [--format markdown|json] [--out FILE]

Prints, from the running configuration, the document a works agreement or a
data-protection review can annex: every input topic and what its records say
about a person; the windows; every KPI and its formula; the scoring model and
its weights; detection's rules and every alert rule, with who receives their
output; every ClickHouse role and what it reads; the retention of every table
and topic; and where data leaves kpi-stream (webhook, Alertmanager, Kafka, BI,
subject export, the report). Each entry is read from the objects kpi-stream
runs with (KPI_ALERT_RULES, KPI_RETENTION_FILE, KPI_EXTENSIONS,
KPI_SHIFT_CALENDAR and the other settings), so it says what this deployment
does. Run it with the same environment as the processors.

Needs no connection to ClickHouse or Kafka: scoring model versions added to
ClickHouse with \`score add-model\` are not read; the manifest shows the
version migrate installs, and says so.

  --format F   markdown (default) or json
  --out FILE   where to write it (default: stdout)

docs/privacy.md ("The manifest") says what is in it.`,
  async run(args, { config, log }) {
    const { format, out } = parseManifestArgs(args);
    const text = renderManifest(manifest(config, await loadManifestInputs(config)), format);
    if (out === undefined) {
      process.stdout.write(text);
    } else {
      const path = resolve(out);
      writeFileSync(path, text);
      log.info(`wrote the manifest to ${path}`);
    }
    return 0;
  },
};
