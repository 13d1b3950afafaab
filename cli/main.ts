#!/usr/bin/env node
/**
 * kpi-stream's command line. Configuration comes from the environment and is
 * validated before any command runs; a bad value exits with code 78 naming it.
 */
import { loadConfig, secretValues } from '../core/config.js';
import { ConfigError, EXIT_CODES, KpiError, exitCodeOf } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { secretScrubber } from '../core/secrets.js';
import { checkConnections } from '../services/index.js';
import type { Command } from './command.js';
import { alertsCommand } from './commands/alerts.js';
import { appCommand } from './commands/app.js';
import { analyticsServiceCommand, detectCommand, evaluateCommand, scoreCommand } from './commands/analytics.js';
import { benchCommand } from './commands/bench.js';
import { configCommand } from './commands/config.js';
import { demoCommand } from './commands/demo.js';
import { manifestCommand } from './commands/manifest.js';
import { migrateCommand } from './commands/migrate.js';
import { reportCommand } from './commands/report.js';
import { reviewsCommand } from './commands/reviews.js';
import { runCommand } from './commands/run.js';
import { schemasCommand } from './commands/schemas.js';
import { servicesCommand } from './commands/services.js';
import { simulateCommand } from './commands/simulate.js';
import { subjectCommand } from './commands/subject.js';
import { topicsCommand } from './commands/topics.js';

const commands: Command[] = [
  demoCommand,
  runCommand,
  alertsCommand,
  analyticsServiceCommand,
  appCommand,
  servicesCommand,
  topicsCommand,
  simulateCommand,
  scoreCommand,
  detectCommand,
  evaluateCommand,
  reportCommand,
  reviewsCommand,
  subjectCommand,
  manifestCommand,
  migrateCommand,
  schemasCommand,
  benchCommand,
  configCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: kpi-stream <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'kpi-stream <command> --help' for a command's options; 'kpi-stream config' lists the environment variables.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`kpi-stream: unknown command ${JSON.stringify(name)}\n\n${help()}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  let config;
  let secrets;
  try {
    config = loadConfig();
    // With the embedded engine this reads (or makes) its password file, which can fail like a setting.
    secrets = secretValues(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kpi-stream: invalid configuration: ${error.message}\n`);
      return EXIT_CODES.config;
    }
    throw error;
  }
  scrub = secretScrubber(secrets);
  const log = createLogger(config.logLevel, config.logFormat, 'kpi-stream', secrets).child({ component: command.name });
  try {
    const needs = command.needs?.(args, config) ?? [];
    if (needs.length > 0) await checkConnections(config, needs, log);
    return await command.run(args, { config, log });
  } catch (error) {
    if (error instanceof KpiError) {
      log.fatal({ code: error.code }, error.message);
      return exitCodeOf(error);
    }
    log.fatal({ err: error }, 'unexpected failure');
    return EXIT_CODES.failure;
  }
}

/** Keeps the configuration's secrets out of the last-resort message below. */
let scrub = (text: string) => text;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(scrub(`kpi-stream: ${error instanceof Error ? error.stack : String(error)}\n`));
    process.exitCode = EXIT_CODES.failure;
  },
);
