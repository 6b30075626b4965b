import { readFileSync } from 'node:fs';
import path from 'node:path';
import alertCatalogue from '../../lib/config/alerts.json';
import { CONSECUTIVE_FAILURES_ALERT } from '../../lib/ops/last-run-check';
import { buildRunEvent, RUN_EVENT_PREFIX, type RunEventInput } from '../../lib/ops/run-event';
import { loadSettings } from '../../lib/config/settings';
import { raisePoisonedTenantRun } from '../../lib/ops/tenant-runs';

/**
 * The alert rules' queries (lib/config/alerts.json, deployed by infra/app/alerts.bicep) against the run event
 * the app really emits: a field renamed or dropped in the event breaks this test, not an alert in production.
 * The Kusto engine cannot run here; the queries are read for their structure and every name they use.
 */

const ROOT = path.resolve(__dirname, '../..');
const alertsBicep = readFileSync(path.join(ROOT, 'infra/app/alerts.bicep'), 'utf8');

/** Field names of real events: a completed, a partial and a failed run of each job. */
function eventFields(): Set<string> {
  const settings = { logPersonalData: false, audit: { stuckMinutes: 180 } };
  const at = new Date('2026-03-03T10:00:00Z');
  const results: RunEventInput['result'][] = [
    { job: 'snapshot', error: new Error('HTTP 403') },
    { job: 'notify', error: new Error('HTTP 503') },
  ];
  const fields = new Set<string>();
  for (const result of results) {
    const event = buildRunEvent({ result, startedAt: at, finishedAt: at, previousFailures: 0, settings });
    for (const key of Object.keys(event)) fields.add(key);
  }
  // A customer tenant's events carry the tenant (many tenants).
  const poisoned = raisePoisonedTenantRun(
    { tenantId: '8b7c0e52-3f1a-4c1e-9a55-2f0d9c1b7e41', queuedAt: at.toISOString() },
    { clock: { now: () => at, sleep: async () => undefined }, emit: () => undefined },
  );
  for (const key of Object.keys(poisoned)) fields.add(key);
  return fields;
}

/** The placeholders a query may use, with a sample value, and the values Bicep puts in. */
const PLACEHOLDERS: Record<string, string> = {
  events: alertCatalogue.events,
  noSuccessMinutes: '60',
  consecutiveFailures: String(alertCatalogue.consecutiveFailures),
};

function render(query: string): string {
  return query.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in PLACEHOLDERS)) throw new Error(`unknown placeholder {${name}}`);
    return PLACEHOLDERS[name];
  });
}

/** Kusto tabular operators these queries may use after a pipe. */
const OPERATORS = new Set([
  'where',
  'extend',
  'summarize',
  'project',
  'join',
  'order',
  'top',
  'take',
  'count',
]);

/** A structural read of a Kusto query: strings closed, brackets balanced, every pipe stage a known operator. */
function kustoProblems(query: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const closer: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  let outside = '';
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === "'" || c === '"') {
      const end = query.indexOf(c, i + 1);
      if (end < 0) return [`unclosed string at ${i}`];
      outside += ' ';
      i = end;
      continue;
    }
    if (c in closer) stack.push(closer[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) problems.push(`unbalanced '${c}' at ${i}`);
    }
    // Pipes inside brackets belong to a nested query (a join's right side): read them too.
    outside += c;
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join('')}`);
  const statements = outside
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const statement of statements) {
    if (statement.startsWith('let ')) {
      if (!/^let \w+ = .+/.test(statement)) problems.push(`bad let: ${statement}`);
      continue;
    }
    const stages = statement.split('|').map((s) => s.trim().replace(/^\(+/, '').trim());
    const source = stages[0];
    if (!/^(traces|datatable\(\w+: \w+\) \[)/.test(source)) problems.push(`unknown source: ${source}`);
    for (const stage of stages.slice(1)) {
      const operator = /^[a-z_-]+/.exec(stage)?.[0];
      if (!operator || !OPERATORS.has(operator)) problems.push(`unknown operator: ${stage.slice(0, 40)}`);
    }
  }
  return problems;
}

describe('alert rules: the catalogue the Bicep deploys', () => {
  const rules = alertCatalogue.rules;

  it('GIVEN the catalogue THEN it holds the six alerts the administrators need, each once', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'no-successful-run',
      'failing-repeatedly',
      'tenant-failing',
      'permission-failure',
      'audit-query-stuck',
      'notifications-failed',
    ]);
  });

  it.each(alertCatalogue.rules.map((r) => [r.id, r]))(
    'GIVEN rule %s WHEN its query is rendered THEN it parses and reads only fields the run event has',
    (_id, rule) => {
      const query = render(rule.query);
      expect(kustoProblems(query)).toEqual([]);
      const fields = eventFields();
      const referenced = [...query.matchAll(/\be\.(\w+)/g)].map((m) => m[1]);
      expect(referenced.length).toBeGreaterThan(0);
      expect(referenced.filter((name) => !fields.has(name))).toEqual([]);
      expect(query).not.toMatch(/\{\w+\}/);
    },
  );

  it.each(alertCatalogue.rules.map((r) => [r.id, r]))(
    'GIVEN rule %s THEN its text says to run qrn doctor and where to look, and its schedule is valid',
    (_id, rule) => {
      expect(rule.description).toMatch(/`qrn doctor`/);
      expect(rule.description).toMatch(/Application Insights > Logs/);
      expect(rule.displayName.length).toBeLessThanOrEqual(260);
      expect([0, 1, 2, 3, 4]).toContain(rule.severity);
      const minutes = (iso: string) => {
        const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(iso);
        if (!m) throw new Error(`not an ISO 8601 duration: ${iso}`);
        return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
      };
      // Azure Monitor: frequency from 1 minute to 1 day, window up to 2 days and at least the frequency.
      expect(minutes(rule.evaluationFrequency)).toBeGreaterThanOrEqual(1);
      expect(minutes(rule.windowSize)).toBeLessThanOrEqual(2 * 1440);
      expect(minutes(rule.windowSize)).toBeGreaterThanOrEqual(minutes(rule.evaluationFrequency));
    },
  );

  it('GIVEN the events every query starts from THEN they select the lines the app writes, by its prefix', () => {
    const prefix = RUN_EVENT_PREFIX.replace(/'/g, "\\'");
    expect(alertCatalogue.events).toContain(`message startswith '${prefix}'`);
    expect(alertCatalogue.events).toContain(`substring(message, strlen('${prefix}'))`);
    for (const rule of alertCatalogue.rules)
      expect({ id: rule.id, query: rule.query }).toEqual({
        id: rule.id,
        query: expect.stringMatching(/^(let [^;]+; )?.*\{events\}/),
      });
  });

  it('GIVEN the thresholds THEN the rules and qrn doctor use the same ones: three failures in a row, and ALERT_NO_SUCCESS_MINUTES', () => {
    expect(CONSECUTIVE_FAILURES_ALERT).toBe(3);
    expect(rules.find((r) => r.id === 'failing-repeatedly')!.query).toMatch(/>= \{consecutiveFailures\}/);
    expect(rules.find((r) => r.id === 'no-successful-run')!.query).toMatch(/\{noSuccessMinutes\}/);
    // The window of the no-success rule must see further back than the largest setting allowed.
    expect(rules.find((r) => r.id === 'no-successful-run')!.windowSize).toBe('P1D');
    expect(() =>
      loadSettings({
        AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        ALERT_NO_SUCCESS_MINUTES: '1441',
      }),
    ).toThrow(/ALERT_NO_SUCCESS_MINUTES/);
    expect(rules.find((r) => r.id === 'audit-query-stuck')!.query).toMatch(
      /toint\(e\.auditQueryAgeMinutes\) > toint\(e\.auditQueryStuckMinutes\)/,
    );
  });

  it('GIVEN host.json THEN every run event reaches Application Insights: no sampling, Information lines of the functions kept', () => {
    // A sampled-away event would raise a false "no successful run" alert and undercount failures.
    const host = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as {
      logging: {
        applicationInsights: { samplingSettings: { isEnabled: boolean } };
        logLevel: Record<string, string>;
      };
    };
    expect(host.logging.applicationInsights.samplingSettings.isEnabled).toBe(false);
    expect(['Trace', 'Debug', 'Information']).toContain(host.logging.logLevel.Function);
  });

  it('GIVEN alerts.bicep THEN it fills in exactly the placeholders the queries use', () => {
    const used = new Set(
      alertCatalogue.rules.flatMap((r) => [...r.query.matchAll(/\{(\w+)\}/g)].map((m) => m[1])),
    );
    const filled = new Set([...alertsBicep.matchAll(/'\{(\w+)\}'/g)].map((m) => m[1]));
    expect([...filled].sort()).toEqual([...used].sort());
    expect([...used].sort()).toEqual(Object.keys(PLACEHOLDERS).sort());
  });
});
