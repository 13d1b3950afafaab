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
  // Short secrets too, where they stand alone (inside a longer word they would mangle ordinary text).
  expect(scrub('ab cd')).toBe(`${REDACTED} cd`);
  expect(scrub('?password=ab&x=1')).toBe(`?password=${REDACTED}&x=1`);
  expect(scrub('about')).toBe('about');
  expect(secretScrubber([])('unchanged')).toBe('unchanged');
});

test('Basic and Bearer credentials are scrubbed whoever they belong to', () => {
  const scrub = secretScrubber([]);
  expect(scrub(`Authorization: Basic ${Buffer.from('u:p').toString('base64')}`)).toBe(`Authorization: Basic ${REDACTED}`);
  expect(scrub('{"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}')).toBe(`{"authorization":"Bearer ${REDACTED}"}`);
  expect(scrub('Basic authentication failed, Bearer token missing')).toBe('Basic authentication failed, Bearer token missing');
});
