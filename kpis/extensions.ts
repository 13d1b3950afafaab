import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, messageOf } from '../core/errors.js';
import { KpiCatalog } from './catalog.js';
import type { KpiDefinition } from './definition.js';

/**
 * The catalog of a deployment: kpi-stream's KPIs and those of the modules
 * named by KPI_EXTENSIONS. A module exports KPI definitions as its default
 * export (one or an array) or as `kpis`. A path is resolved against the
 * working directory; anything else is imported as a package name.
 */
export async function loadCatalog(extensions: readonly string[]): Promise<KpiCatalog> {
  const definitions: KpiDefinition[] = [];
  for (const spec of extensions) {
    const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(spec)).href : spec;
    let module: { default?: unknown; kpis?: unknown };
    try {
      module = (await import(target)) as typeof module;
    } catch (error) {
      throw new ConfigError('KPI_EXTENSIONS', `cannot load ${spec}: ${messageOf(error)}`);
    }
    const exported = module.kpis ?? module.default;
    const list = Array.isArray(exported) ? exported : [exported];
    if (exported === undefined || list.some((k) => typeof k !== 'object' || k === null || typeof (k as KpiDefinition).name !== 'string')) {
      throw new ConfigError('KPI_EXTENSIONS', `${spec} must export KPI definitions (defineKpi) as its default export or as \`kpis\``);
    }
    definitions.push(...(list as KpiDefinition[]));
  }
  return KpiCatalog.of(definitions);
}
