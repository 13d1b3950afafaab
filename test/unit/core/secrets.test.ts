import { REDACTED, redactUrl, secretScrubber } from '../../../core/secrets.js';

test('redactUrl hides user-info, and with hidePath the path and query', () => {
  expect(redactUrl('https://u:p@sr.example:8081/apis/ccompat/v7')).toBe(`https://${REDACTED}@sr.example:8081/apis/ccompat/v7`);
  expect(redactUrl('http://ch:8123')).toBe('http://ch:8123');
  expect(redactUrl('https://ch:8443/?password=x')).toBe('https://ch:8443?…');
  expect(redactUrl('https://hooks.example/services/T/B/token', { hidePath: true })).toBe(`https://hooks.example/${REDACTED}`);
  expect(redactUrl('not a url')).toBe(REDACTED);
});

test('the scrubber replaces every secret, also JSON- and URL-encoded, longest first', () => {
  const scrub = secretScrubber(['pa"ss/word', 'pa"ss', undefined, 'ab']);
  expect(scrub('a pa"ss/word b')).toBe(`a ${REDACTED} b`);
  expect(scrub(JSON.stringify({ msg: 'x pa"ss/word y' }))).toBe(JSON.stringify({ msg: `x ${REDACTED} y` }));
  expect(scrub(`?p=${encodeURIComponent('pa"ss/word')}`)).toBe(`?p=${REDACTED}`);
  // Too short to scrub without mangling ordinary text.
  expect(scrub('ab cd')).toBe('ab cd');
  expect(secretScrubber([])('unchanged')).toBe('unchanged');
});
