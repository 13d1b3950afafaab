import { disputesScope, flagViewScope, overviewScope, principalOf, type Principal } from '../../../app/scope.js';
import { html } from '../../../app/web/html.js';
import { negotiate, Translator } from '../../../app/web/i18n.js';
import { en, zhCN } from '../../../app/web/messages.js';
import { localPath } from '../../../app/web/signIn.js';

const person = (roles: string[], employeeId?: string): Principal =>
  principalOf({ sub: 'u', kpi_roles: roles, ...(employeeId ? { employee_id: employeeId } : {}) });

test('the language: the one chosen, else the first of the browser’s the pages speak (by q), else English', () => {
  expect(negotiate('zh-CN', 'en-GB')).toBe('zh-CN');
  expect(negotiate('fr', 'zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh-CN');
  expect(negotiate(undefined, 'de-DE,en;q=0.5,zh;q=0.7')).toBe('zh-CN');
  expect(negotiate(undefined, 'de-DE,zh;q=0.5,en;q=0.7')).toBe('en');
  expect(negotiate(undefined, 'zh-Hans-CN')).toBe('zh-CN');
  // Traditional Chinese is not what the Chinese pages are written in.
  expect(negotiate(undefined, 'zh-TW,zh-Hant;q=0.9')).toBe('en');
  expect(negotiate(undefined, 'zh;q=0, en;q=0.1')).toBe('en');
  expect(negotiate(undefined, undefined)).toBe('en');
});

test('messages: every English key has its Chinese one with the same placeholders', () => {
  expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en) as (keyof typeof en)[]) expect({ key, names: placeholders(zhCN[key]) }).toEqual({ key, names: placeholders(en[key]) });
  const tr = new Translator('zh-CN');
  expect(tr.t('flag.heading', { employee: 'E7' })).toBe('关于 E7 的标记');
  expect(tr.term('status', 'overturned')).toBe('经申诉撤回');
  expect(tr.term('status', 'something-new')).toBe('something-new');
});

test('dates in the plant’s time zone and the reader’s locale; missing numbers as a dash', () => {
  const noonUtc = Date.UTC(2026, 2, 29, 12, 0);
  expect(new Translator('en').dateTime(noonUtc, 'Europe/Berlin')).toBe('Mar 29, 2026, 2:00 PM');
  expect(new Translator('zh-CN').dateTime(noonUtc, 'Asia/Shanghai')).toBe('2026年3月29日 20:00');
  expect(new Translator('en').number(null)).toBe('—');
  expect(new Translator('en').number(1234.567)).toBe('1,234.57');
  expect(new Translator('en').percent(0.125)).toBe('12.5%');
});

test('the template escapes everything it is given that is not markup already', () => {
  const name = '<img src=x onerror="alert(1)">';
  expect(html`<p title="${name}">${name}</p>`.text).toBe(
    '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>',
  );
  const pieces = ['a&b', html`<li>ok</li>`, null, false, 7];
  // Through another name: Prettier would lay out a template tagged `html` as a page.
  const page = html;
  expect(page`<ul>${pieces}</ul>`.text).toBe('<ul>a&amp;b<li>ok</li>7</ul>');
});

test('after sign-in, only a path on this app: never another site', () => {
  expect(localPath('/review?x=1')).toBe('/review?x=1');
  for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'review', '/a b', '/\u0001', '/ü', undefined, 7])
    expect(localPath(bad)).toBe('/');
});

test('one flag: the person it is about, HR, and their supervisor at its window start; nobody else', () => {
  const flag = { employeeId: 'E1', supervisorId: 'E2', plantId: 'P1' };
  const hrOf = (plantId: string) => principalOf({ sub: 'h', kpi_roles: ['hr'], plant_id: plantId });
  expect(flagViewScope(hrOf('P1'), flag)).toBe(true);
  expect(flagViewScope(hrOf('P2'), flag)).toHaveProperty('refused');
  expect(flagViewScope(person(['employee'], 'E1'), flag)).toBe(true);
  expect(flagViewScope(person(['hr']), flag)).toBe(true);
  expect(flagViewScope(person(['supervisor'], 'E2'), flag)).toBe(true);
  expect(flagViewScope(person(['employee'], 'E3'), flag)).toHaveProperty('refused');
  expect(flagViewScope(person(['supervisor'], 'E8'), flag)).toHaveProperty('refused');
  // Being the supervisor by id is not enough without the role, nor being the person without the employee role.
  expect(flagViewScope(person(['employee'], 'E2'), flag)).toHaveProperty('refused');
  expect(flagViewScope(person(['supervisor'], 'E1'), flag)).toHaveProperty('refused');
  for (const role of ['works_council', 'analyst', 'admin']) expect(flagViewScope(person([role], 'E1'), flag)).toHaveProperty('refused');
});

test('disputes: HR all (or its plant), an employee their own; the overview: the works council, HR (its plant)', () => {
  expect(disputesScope(person(['hr']))).toEqual({ all: true });
  expect(disputesScope(person(['employee', 'hr'], 'E1'))).toEqual({ all: true });
  expect(disputesScope(person(['employee'], 'E1'))).toEqual({ employeeId: 'E1' });
  for (const role of ['supervisor', 'works_council', 'analyst', 'admin']) expect(disputesScope(person([role], 'E1'))).toHaveProperty('refused');
  expect(disputesScope(principalOf({ sub: 'h', kpi_roles: ['hr'], plant_id: 'P1' }))).toEqual({ plantId: 'P1' });
  expect(overviewScope(person(['hr']))).toEqual({ all: true });
  expect(overviewScope(principalOf({ sub: 'h', kpi_roles: ['hr'], plant_id: 'P1' }))).toEqual({ plantId: 'P1' });
  expect(overviewScope(person(['works_council']))).toEqual({ all: true });
  for (const role of ['employee', 'supervisor', 'analyst', 'admin']) expect(overviewScope(person([role], 'E1'))).toHaveProperty('refused');
});
