/** Epoch ms → "YYYY-MM-DD HH:MM:SS.mmm" (UTC), how DateTime64(3, 'UTC') values and parameters are written. */
export function toClickHouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) as ClickHouse prints DateTime64 → epoch ms. */
export function fromClickHouseTime(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a ClickHouse DateTime: ${JSON.stringify(text)}`);
  return ms;
}
