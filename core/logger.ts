import { pino, type Logger, type DestinationStream } from 'pino';
import { secretScrubber } from './secrets.js';

export type { Logger };

export type LogFormat = 'text' | 'json';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const QUIET_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component', 'service', 'err']);

/** Control characters as escapes: a newline in an id must not start a forged line of the log. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const escapeControl = (text: string) =>
  text.replace(CONTROL, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One line per record for people: "12:00:01.123 INFO  [kafka] started … key=value", control characters escaped. */
function textDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(json: string) {
      const record = JSON.parse(json) as Record<string, unknown>;
      const time = new Date(record.time as number).toISOString().slice(11, 23);
      const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
      const scope = record.component ?? record.service;
      const fields = Object.entries(record)
        .filter(([key, value]) => !QUIET_KEYS.has(key) && value !== undefined && typeof value !== 'object')
        .map(([key, value]) => `${key}=${value}`)
        .join(' ');
      const err = record.err as { message?: string } | undefined;
      const line = `${scope ? `[${scope}] ` : ''}${record.msg ?? ''}${fields ? ` ${fields}` : ''}${err?.message ? ` — ${err.message}` : ''}`;
      out.write(`${time} ${level} ${escapeControl(line)}\n`);
    },
  };
}

/**
 * The one root logger of a process. Components take `logger.child({ component })`;
 * per-record lines add topic, partition and offset. Secrets are redacted twice:
 * fields that hold credentials by name, and — whatever a message or an error
 * from a client library says — every occurrence of the `secrets` given (see
 * `secretValues` in core/config.ts) in every line written.
 * `text` writes readable lines to stderr; `json` writes pino's JSON to stdout;
 * either to `destination` instead when given (a log file).
 */
export function createLogger(
  level: string,
  format: LogFormat = 'text',
  name = 'kpi-stream',
  secrets: readonly string[] = [],
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    name,
    level,
    // Every serialized line passes here before any destination sees it.
    hooks: { streamWrite: secretScrubber(secrets) },
    redact: {
      paths: [
        'password',
        '*.password',
        'clickhousePassword',
        '*.clickhousePassword',
        'auth',
        '*.auth',
        'headers.authorization',
        '*.headers.authorization',
        'sasl',
        '*.sasl',
        'ssl.key',
        '*.ssl.key',
        'kafkaSaslPassword',
        'kafkaSaslUsername',
        'schemaRegistryPassword',
        'schemaRegistryUsername',
      ],
      censor: '[redacted]',
    },
  };
  if (format === 'json') return destination ? pino(options, destination as DestinationStream) : pino(options);
  return pino(options, textDestination(destination ?? process.stderr));
}
