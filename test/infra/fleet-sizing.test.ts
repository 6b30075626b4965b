import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS_CATALOGUE } from '../../lib/config/settings';
import { SPREAD_SECONDS } from '../../lib/fleet/tenant-runs';
import { HOST_QUEUE_TRIGGER } from '../../lib/local/queue-trigger';
import {
  FLEET_SIZING_FILE,
  fleetInstanceLimit,
  readFleetSizing,
  runsMemoryAllows,
  runsPerInstance,
  workerFits,
} from '../bench/fleet-sizing';
import { BicepFile, evaluateInteger, objectEntry } from './bicep-text';

/**
 * The instance limit and the batch come from the fleet bench's measured figures (README "Many tenants"):
 * infra/fleet-sizing.json is what the bench wrote, the Bicep derives the limit from it, and host.json's
 * batch is the one the figures were measured with.
 */
const ROOT = path.resolve(__dirname, '../..');
const bicep = (relative: string) => new BicepFile(relative, readFileSync(path.join(ROOT, relative), 'utf8'));
const main = bicep('infra/main.bicep');
const api = bicep('infra/app/api.bicep');
const sizing = readFleetSizing(ROOT);

/** main.bicep's instance limit for a number of tenants, evaluated from its own text. */
function bicepInstanceLimit(tenants: number): number {
  const vars = new Map(main.vars().map((v) => [v.name, v.value ?? '']));
  const value = (name: string): number => {
    if (name === 'fleetTenantCount') return tenants;
    const member = /^fleetSizing\.(\w+)$/.exec(name);
    if (member) {
      const figure = (sizing as unknown as Record<string, unknown>)[member[1]];
      if (typeof figure !== 'number') throw new Error(`${FLEET_SIZING_FILE} has no figure ${member[1]}`);
      return figure;
    }
    const expression = vars.get(name);
    if (expression === undefined) throw new Error(`main.bicep: no variable ${name}`);
    return evaluateInteger(expression, value);
  };
  return value('maximumInstanceCount');
}

describe('the fleet instance limit from measured figures', () => {
  it('GIVEN main.bicep THEN it reads the figures the bench writes, and a fleetTenants parameter defaulting to 1000', () => {
    const vars = new Map(main.vars().map((v) => [v.name, v.value]));
    expect(vars.get('fleetSizing')).toBe(
      `loadJsonContent('./${path.relative('infra', FLEET_SIZING_FILE).replace(/\\/g, '/')}')`,
    );
    expect(vars.get('fleetTenantCount')).toBe('empty(fleetTenants) ? 1000 : int(fleetTenants)');
    expect(main.params().find((p) => p.name === 'fleetTenants')?.value).toBe("''");
    const parameters = readFileSync(path.join(ROOT, 'infra/main.parameters.json'), 'utf8');
    expect(JSON.parse(parameters).parameters.fleetTenants).toEqual({ value: '${QRN_FLEET_TENANTS}' });
  });

  it.each([1, 1_000, 5_000, 20_000, 1_000_000])(
    'GIVEN %d tenants WHEN the Bicep derives the instance limit THEN it is the limit the measured figures give',
    (tenants) => {
      expect(bicepInstanceLimit(tenants)).toBe(fleetInstanceLimit(sizing, tenants));
    },
  );

  it("GIVEN the measured figures THEN the limit grows with the tenants within Flex Consumption's 40 to 1000", () => {
    expect(fleetInstanceLimit(sizing, 1)).toBe(40);
    expect(fleetInstanceLimit(sizing, 1_000_000)).toBe(1000);
    const needed = Math.ceil(
      (sizing.headroom * 1_000 * (sizing.tenantRunMilliseconds + sizing.auditWaitSeconds * 1000)) /
        (runsPerInstance(sizing) * sizing.spreadSeconds * 1000),
    );
    expect(fleetInstanceLimit(sizing, 1_000)).toBe(Math.min(1000, Math.max(40, needed)));
  });

  it('GIVEN the function app module THEN its maximumInstanceCount is the derived one, never a literal', () => {
    const site = main.modules().find((m) => m.name === 'api')!;
    expect(objectEntry(site.body!, 'params')?.get('maximumInstanceCount')).toBe('maximumInstanceCount');
    const declared = api.params().find((p) => p.name === 'maximumInstanceCount');
    expect(declared).toBeDefined();
    expect(declared!.value).toBeUndefined();
  });

  it("GIVEN the figures THEN they were measured with host.json's batch, the fleet's spread, the audit wait and the Bicep's instance memory", () => {
    const host = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
    expect({ batchSize: sizing.batchSize, newBatchThreshold: sizing.newBatchThreshold }).toEqual({
      batchSize: host.extensions.queues.batchSize,
      newBatchThreshold: host.extensions.queues.newBatchThreshold,
    });
    expect(sizing.batchSize).toBe(HOST_QUEUE_TRIGGER.batchSize);
    expect(sizing.spreadSeconds).toBe(SPREAD_SECONDS);
    const pollSeconds = SETTINGS_CATALOGUE.find((s) => s.name === 'AUDIT_QUERY_POLL_SECONDS')?.default;
    expect(sizing.auditWaitSeconds).toBe(Number(pollSeconds));
    expect(String(sizing.instanceMemoryMB)).toBe(
      api.params().find((p) => p.name === 'instanceMemoryMB')?.value,
    );
  });

  it("GIVEN the measured worker memory THEN host.json's batch fits within half the instance's memory", () => {
    expect(workerFits(sizing)).toBe(true);
    expect(runsMemoryAllows(sizing)).toBeGreaterThanOrEqual(runsPerInstance(sizing));
    // And the rule refuses what would not fit: the same worker on an instance only as large as its peak.
    expect(workerFits({ ...sizing, instanceMemoryMB: sizing.workerPeakRssMB })).toBe(false);
  });
});
