/**
 * Secrets never leave the process: not in logs, `config` output, error
 * messages, dead letters or alerts. Settings mark what is secret
 * (core/config.ts); this module hides secrets in URLs and, as the last line of
 * defence, scrubs known secret values out of any text about to be written. It
 * also makes the local services' generated secrets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { privateDirectory } from './privateFiles.js';

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

/** Secrets shorter than this are replaced only where they stand alone (not inside a longer word): scrubbing them inside words would mangle ordinary text. */
const MIN_SCRUBBED_ANYWHERE = 4;

/** HTTP credentials in a header as text (`Authorization: Basic dXNlcjpwYXNz`, `Bearer …`), whoever they belong to. */
const AUTHORIZATION = /\b(Basic|Bearer)(\s+)([A-Za-z0-9+/=._~-]{4,})/gi;
/** A Basic credential is base64 of "user:password"; a bearer token is long. Prose ("Basic authentication") is neither. */
const isCredential = (scheme: string, value: string) =>
  scheme.toLowerCase() === 'basic' ? /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').toString('latin1').includes(':') : value.length >= 16;
const scrubAuthorization = (text: string) =>
  text.replace(AUTHORIZATION, (match, scheme: string, space: string, value: string) => (isCredential(scheme, value) ? `${scheme}${space}${REDACTED}` : match));

/**
 * A function that replaces every occurrence of the given secrets in a text
 * with `[redacted]` (also in their JSON- and URL-encoded forms, as they would
 * appear inside a JSON log line or a URL), and every Basic or Bearer
 * credential. Secrets of any length are replaced; short ones only where they
 * stand alone.
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const alternatives = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form) => (form.length >= MIN_SCRUBBED_ANYWHERE ? escapeRegExp(form) : `(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`));
  const pattern = alternatives.length === 0 ? undefined : new RegExp(alternatives.join('|'), 'g');
  return (text) => scrubAuthorization(pattern ? text.replace(pattern, REDACTED) : text);
}

/** The form of a user and password in HTTP Basic authentication, which text about a request may hold. */
export function basicCredentials(username: string | undefined, password: string | undefined): string | undefined {
  return password === undefined || password === '' ? undefined : Buffer.from(`${username ?? ''}:${password}`).toString('base64');
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
  privateDirectory(dirname(file));
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
