import { ManualClock } from '../../lib/core/clock';
import { checkSetAside } from '../../lib/doctor/set-aside-check';
import { formatSetAside } from '../../lib/report/set-aside-report';
import { isPoison, listSetAside, setAside } from '../../lib/store/set-aside';
import { StateStore } from '../../lib/store/state-store';
import { openTestTables } from '../support/snapshot-world';

describe('what the runs set aside is shown by the doctor and the report', () => {
  test('GIVEN nothing set aside THEN the doctor passes; GIVEN a record set aside twice and a batch THEN it warns with each kind and the latest reason, and the report lists both in every format', async () => {
    const tables = await openTestTables('aside');
    const clock = new ManualClock('2026-03-02T12:00:00Z');
    const state = new StateStore(tables.state, clock);
    expect(await checkSetAside(tables, clock)).toMatchObject({ status: 'pass' });

    await setAside(state, clock, 'audit record', 'd63e0001', new RangeError('URI malformed'));
    clock.advance(60_000);
    await setAside(state, clock, 'audit record', 'd63e0001', new RangeError('URI malformed'));
    clock.advance(60_000);
    await setAside(
      state,
      clock,
      'batch',
      '2 release(s), first message 3f2a',
      new TypeError('bad\u001b[2J value'),
    );

    const check = await checkSetAside(tables, clock);
    expect(check).toMatchObject({ status: 'warn' });
    expect(check.detail).toContain('2 set aside (1 batch, 1 audit record)');
    expect(check.detail).toContain('TypeError: bad [2J value');
    expect(check.fix).toContain('qrn report --set-aside');

    const entries = await listSetAside(state);
    expect(entries.map((e) => [e.kind, e.times])).toEqual([
      ['batch', 1],
      ['audit record', 2],
    ]);
    let json = '';
    for await (const chunk of formatSetAside(entries, 'json')) json += chunk;
    expect(JSON.parse(json)).toHaveLength(2);
    let csv = '';
    for await (const chunk of formatSetAside(entries, 'csv')) csv += chunk;
    expect(csv.trim().split('\r\n')).toHaveLength(3);
    let table = '';
    for await (const chunk of formatSetAside(entries, 'table')) table += chunk;
    expect(table).toContain('2 set aside');
  });
});

describe('what counts as failing on its own', () => {
  test('GIVEN a bad value or a refused entity THEN it is set aside; GIVEN an outage THEN it is not (the step stops, nothing is marked done)', () => {
    expect(isPoison(new RangeError('URI malformed'))).toBe(true);
    expect(isPoison(Object.assign(new Error('bad request'), { statusCode: 400 }))).toBe(true);
    expect(isPoison(Object.assign(new Error('too large'), { statusCode: 413 }))).toBe(true);
    expect(isPoison(Object.assign(new Error('unavailable'), { statusCode: 503 }))).toBe(false);
    expect(isPoison(Object.assign(new Error('throttled'), { statusCode: 429 }))).toBe(false);
    expect(isPoison(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPoison(new TypeError('fetch failed', { cause: new Error('ECONNRESET') }))).toBe(false);
  });
});
