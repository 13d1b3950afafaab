import { createHmac } from 'node:crypto';

/**
 * Pseudonyms of employees, for everything that leaves the database about a
 * person (the BI views of `kpi_bi`, alert payloads, Alertmanager labels): a
 * keyed hash (HMAC-SHA-256 with KPI_PSEUDONYM_KEY) of the employee id, so one
 * person has one pseudonym for as long as the key stays, and nobody without
 * the key can tell whose it is, not even by hashing every id they know.
 */

/** Characters of the pseudonym's hash: 96 bits, so two people share one only by a chance of about n²/2⁹⁷. */
const HASH_CHARS = 24;

/** `e_` and 24 hexadecimal characters: stable for one key, different under another. */
export function pseudonymOf(key: string, employeeId: string): string {
  return `e_${createHmac('sha256', key).update(employeeId, 'utf8').digest('hex').slice(0, HASH_CHARS)}`;
}

/** Whether `text` has the form of a pseudonym (and so is not an employee id shown by mistake). */
export function isPseudonym(text: string): boolean {
  return new RegExp(`^e_[0-9a-f]{${HASH_CHARS}}$`).test(text);
}

/** What the key fingerprint is the keyed hash of: a fixed text, so it names the key without revealing it. */
const FINGERPRINT_TEXT = 'kpi-stream: the key of the pseudonyms';

/**
 * Which key made a pseudonym, to store beside it (kpi.pseudonyms): the keyed
 * hash of a fixed text, 64 bits. It tells two keys apart and gives nothing of
 * the key, nor of anyone's pseudonym.
 */
export function keyFingerprint(key: string): string {
  return createHmac('sha256', key).update(FINGERPRINT_TEXT, 'utf8').digest('hex').slice(0, 16);
}
