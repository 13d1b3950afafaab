import { en, zhCN, type MessageKey } from './messages.js';

/** The pages' languages; the first is the default. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGS: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export const isLocale = (x: unknown): x is Locale => (LOCALES as readonly unknown[]).includes(x);

/**
 * The page's language: the one the person chose on the page (its cookie),
 * else the first of the browser's languages (Accept-Language, by q) that the
 * pages speak (`zh`, `zh-Hans`, `zh-CN`… are Simplified Chinese; `zh-TW` and
 * `zh-Hant` are not, and fall through), else English.
 */
export function negotiate(chosen: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m !== null);
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((l) => l.tag !== '' && l.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
    if (tag === 'zh' || tag === 'zh-cn' || tag === 'zh-sg' || tag.startsWith('zh-hans')) return 'zh-CN';
  }
  return 'en';
}

/** Messages, dates and numbers in one locale; dates in the time zone given (the plant's). */
export class Translator {
  private readonly catalog: Record<MessageKey, string>;
  private readonly numbers = new Map<string, Intl.NumberFormat>();

  constructor(readonly locale: Locale) {
    this.catalog = CATALOGS[locale];
  }

  /** The message, `{name}` filled in from `params`. */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return this.catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  }

  /** A message key built from data (a status, a kind): the message if there is one, else the value as it is. */
  term(prefix: 'status' | 'kind' | 'subject' | 'grade', value: string): string {
    const key = `${prefix}.${value}`;
    return key in this.catalog ? this.catalog[key as MessageKey] : value;
  }

  /** Date and time of an instant in a time zone, as the locale writes them. */
  dateTime(at: number | string, timeZone: string): string {
    return new Intl.DateTimeFormat(this.locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
  }

  /** A window as the locale writes it: its start's date and time, and its end's time (or date and time, when another day). */
  window(start: number | string, end: number | string, timeZone: string): string {
    return new Intl.DateTimeFormat(this.locale, { timeZone, dateStyle: 'medium', timeStyle: 'short' }).formatRange(new Date(start), new Date(end));
  }

  /** A number (null and non-finite as a dash), with at most `digits` decimals. */
  number(value: unknown, digits = 2): string {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (value === null || !Number.isFinite(n)) return this.t('common.none');
    const key = `n${digits}`;
    let format = this.numbers.get(key);
    if (format === undefined) this.numbers.set(key, (format = new Intl.NumberFormat(this.locale, { maximumFractionDigits: digits })));
    return format.format(n);
  }

  /** A share (0.25) as a percentage in the locale. */
  percent(value: unknown): string {
    const n = Number(value);
    if (value === null || value === undefined || !Number.isFinite(n)) return this.t('common.none');
    return new Intl.NumberFormat(this.locale, { style: 'percent', maximumFractionDigits: 1 }).format(n);
  }
}
