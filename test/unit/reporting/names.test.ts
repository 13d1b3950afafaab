import { ConfigError } from '../../../core/errors.js';
import { parseNames } from '../../../reporting/names.js';

test('CSV: a header is optional, names may be quoted with commas and quotes in them', () => {
  const names = parseNames('employee_id,name\nE1,Ana Lima\r\nE2,"Smith, ""Jo"""\n\n', 'csv', 'names.csv');
  expect([...names]).toEqual([
    ['E1', 'Ana Lima'],
    ['E2', 'Smith, "Jo"'],
  ]);
  expect([...parseNames('E1,Ana\n', 'csv', 'n.csv')]).toEqual([['E1', 'Ana']]);
});

test('JSON: an object of id to name', () => {
  expect([...parseNames('{"E1": "Ana Lima", "E2": " Bo "}', 'json', 'names.json')]).toEqual([
    ['E1', 'Ana Lima'],
    ['E2', 'Bo'],
  ]);
});

test('bad mapping files stop the report naming --names and the line, never echoing a name', () => {
  const refused = (text: string, format: 'csv' | 'json') => {
    try {
      parseNames(text, format, 'names');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe('--names');
      return (error as Error).message;
    }
    throw new Error('accepted');
  };
  expect(refused('E1,Ana,extra', 'csv')).toMatch(/names:1: expected two columns/);
  expect(refused('E1,Ana\nE1,Secret Name', 'csv')).toMatch(/names:2: employee "E1" is named twice/);
  expect(refused('E1,"Ana', 'csv')).toMatch(/quote is not closed/);
  expect(refused('E1,', 'csv')).toMatch(/empty id or name/);
  expect(refused('["Ana"]', 'json')).toMatch(/expected a JSON object/);
  expect(refused('{"E1": 3}', 'json')).toMatch(/not a string/);
  expect(refused('{', 'json')).toMatch(/not JSON/);
  expect(refused('E1,Ana\nE1,Secret Name', 'csv')).not.toContain('Secret');
});
