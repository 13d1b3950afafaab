/** HTML that is safe to put on a page as it is: made only by `html` (which escapes what it is given) or from a constant. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A piece of a page: Html as it is, arrays piece by piece, nothing for null, undefined and false, anything else escaped as text. */
export type Piece = Html | string | number | boolean | null | undefined | readonly Piece[];

function render(piece: Piece): string {
  if (piece === null || piece === undefined || piece === false) return '';
  if (piece instanceof Html) return piece.text;
  if (Array.isArray(piece)) return piece.map(render).join('');
  return escapeHtml(String(piece));
}

/**
 * The pages' one template: every value put into it is escaped unless it is
 * Html already, so text from the data (names, reasons, statements, evidence)
 * can never become markup or script.
 */
export function html(strings: TemplateStringsArray, ...values: readonly Piece[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => (out += render(value) + strings[i + 1]!));
  return new Html(out);
}
