/** Epoch ms → "YYYY-MM-DD HH:MM:SS.mmm" (UTC), how DateTime64(3, 'UTC') values and parameters are written. */
export function toClickHouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}
