/**
 * Secrets never leave the process: not in logs, `config` output, error
 * messages, dead letters or alerts. Settings mark what is secret
 * (core/config.ts); this module hides secrets in URLs and, as the last line of
 * defence, scrubs known secret values out of any text about to be written. It
 * also makes the local services' generated secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const REDACTED = '[redacted]';

/**
 * A URL as it may be shown: user-info replaced by `[redacted]`; with
 * `hidePath`, path and query too (webhook URLs carry their token there).
 * Something that does not parse as a URL is not shown at all.
 */
export function redactUrl(raw: string, options: { hidePath?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return REDACTED;
  }
  const userInfo = url.username !== '' || url.password !== '' ? `${REDACTED}@` : '';
  const rest = options.hidePath
    ? url.pathname !== '/' || url.search !== ''
      ? `/${REDACTED}`
      : ''
    : `${url.pathname === '/' ? '' : url.pathname}${url.search === '' ? '' : '?…'}`;
  return `${url.protocol}//${userInfo}${url.host}${rest}`;
}

/** Secrets shorter than this are not scrubbed from text: they would mangle ordinary words, and are too weak to matter. */
const MIN_SCRUBBED_LENGTH = 4;

/**
 * A function that replaces every occurrence of the given secrets in a text
 * with `[redacted]` (also in their JSON- and URL-encoded forms, as they would
 * appear inside a JSON log line or a URL).
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SCRUBBED_LENGTH) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  if (forms.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The secret in `file`, made the first time: 24 random bytes (base64url) in a
 * file only its owner reads (0600, in a 0700 directory). Processes that ask at
 * once agree on one secret: it is written whole to a file of its own, then
 * linked into place, which fails when another got there first.
 */
export function generatedSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${randomUUID()}`;
  writeFileSync(draft, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return readFileSync(file, 'utf8').trim();
}
