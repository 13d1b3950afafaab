import { keyFingerprint, pseudonymOf } from '../../../privacy/pseudonym.js';
import { pseudonymRows } from '../../../privacy/pseudonymise.js';

const KEY = 'a-key-of-at-least-thirty-two-characters';
const OTHER = 'another-key-of-at-least-thirty-two-chars';

describe('keyFingerprint', () => {
  it('is stable for one key and tells two keys apart', () => {
    expect(keyFingerprint(KEY)).toBe(keyFingerprint(KEY));
    expect(keyFingerprint(KEY)).not.toBe(keyFingerprint(OTHER));
    expect(keyFingerprint(KEY)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('holds nothing of the key, and is nobody’s pseudonym', () => {
    expect(keyFingerprint(KEY)).not.toContain(KEY.slice(0, 8));
    expect(keyFingerprint(KEY)).not.toBe(pseudonymOf(KEY, '').slice(2, 18));
  });
});

describe('pseudonymRows', () => {
  it('gives each employee the pseudonym of the key, with the key’s fingerprint and the time', () => {
    expect(pseudonymRows(KEY, ['E-1', 'E-2'], 1_700_000_000_000)).toEqual([
      { employee_id: 'E-1', pseudonym: pseudonymOf(KEY, 'E-1'), key_fingerprint: keyFingerprint(KEY), made_at: 1_700_000_000_000 },
      { employee_id: 'E-2', pseudonym: pseudonymOf(KEY, 'E-2'), key_fingerprint: keyFingerprint(KEY), made_at: 1_700_000_000_000 },
    ]);
  });

  it('under a new key, gives the same person another pseudonym and another fingerprint', () => {
    const [before] = pseudonymRows(KEY, ['E-1'], 0);
    const [after] = pseudonymRows(OTHER, ['E-1'], 0);
    expect(after!.pseudonym).not.toBe(before!.pseudonym);
    expect(after!.key_fingerprint).not.toBe(before!.key_fingerprint);
  });

  it('writes nothing for nobody', () => {
    expect(pseudonymRows(KEY, [], 0)).toEqual([]);
  });
});
