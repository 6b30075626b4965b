/**
 * The fleet's instance limit from measured figures (README "Many tenants"): the fleet bench writes
 * infra/fleet-sizing.json, infra/main.bicep reads it with loadJsonContent() and computes the same limit for
 * its `fleetTenants` parameter, and test/infra/fleet-sizing.test.ts holds the two together.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Flex Consumption's bounds on maximumInstanceCount. */
export const FLEX_INSTANCE_LIMITS = { lowest: 40, highest: 1000 };

export interface FleetSizing {
  $comment: string;
  /** When and at what scale the figures were measured, and how busy the machine was (1-minute load). */
  measuredAt: string;
  benchTenants: number;
  loadAverage: number;
  /** p95 of a healthy tenant's run (snapshot then notify), steady period, in whole milliseconds. */
  tenantRunMilliseconds: number;
  /**
   * The longest a notify run waits for the tenant's Graph audit query (AUDIT_QUERY_POLL_SECONDS), holding
   * its place in the instance's batch: the simulator answers at once, the real service takes minutes.
   */
  auditWaitSeconds: number;
  /** The largest peak RSS of one worker (one instance's listener running its batch), in MiB. */
  workerPeakRssMB: number;
  /** A worker's RSS before its first run (the fleet's clients built, nothing run), in MiB. */
  workerIdleRssMB: number;
  /** The instance memory the figures were measured against (the Bicep's default). */
  instanceMemoryMB: number;
  /** host.json's queue trigger: a batch, and the next batch fetched when this many still run. */
  batchSize: number;
  newBatchThreshold: number;
  /** Seconds of the period over which the fleet timer spreads the tenants' runs. */
  spreadSeconds: number;
  /** How many times the measured work the instances must be able to take (slower real services, retries). */
  headroom: number;
}

export const FLEET_SIZING_FILE = 'infra/fleet-sizing.json';

/** Tenant runs one instance runs at once: its batch, plus the next batch fetched at newBatchThreshold. */
export function runsPerInstance(sizing: Pick<FleetSizing, 'batchSize' | 'newBatchThreshold'>): number {
  return sizing.batchSize + sizing.newBatchThreshold;
}

/**
 * instances = ceil(headroom × tenants × (run time + audit wait) / (runs at once per instance × spread
 * seconds)), within Flex Consumption's bounds: every tenant's run fits in the spread with room to spare.
 * Integers only, as in Bicep.
 */
export function fleetInstanceLimit(sizing: Omit<FleetSizing, '$comment'>, tenants: number): number {
  const work = sizing.headroom * tenants * (sizing.tenantRunMilliseconds + sizing.auditWaitSeconds * 1000);
  const capacity = runsPerInstance(sizing) * sizing.spreadSeconds * 1000;
  const needed = Math.floor((work + capacity - 1) / capacity);
  return Math.min(FLEX_INSTANCE_LIMITS.highest, Math.max(FLEX_INSTANCE_LIMITS.lowest, needed));
}

/** A worker within half the instance's memory: the rest is the Functions host's, and headroom. */
export function workerFits(sizing: Pick<FleetSizing, 'workerPeakRssMB' | 'instanceMemoryMB'>): boolean {
  return sizing.workerPeakRssMB <= sizing.instanceMemoryMB / 2;
}

/**
 * How many tenant runs at once half the instance's memory holds: the worker's idle RSS, plus what each of
 * the measured runs at once added to it. The host's batch plus its threshold must not exceed it.
 */
export function runsMemoryAllows(
  sizing: Pick<
    FleetSizing,
    'workerPeakRssMB' | 'workerIdleRssMB' | 'instanceMemoryMB' | 'batchSize' | 'newBatchThreshold'
  >,
): number {
  const perRunMB = Math.max(1, (sizing.workerPeakRssMB - sizing.workerIdleRssMB) / runsPerInstance(sizing));
  return Math.floor((sizing.instanceMemoryMB / 2 - sizing.workerIdleRssMB) / perRunMB);
}

export function readFleetSizing(root: string): FleetSizing {
  return JSON.parse(readFileSync(path.join(root, FLEET_SIZING_FILE), 'utf8')) as FleetSizing;
}

export function writeFleetSizing(root: string, sizing: Omit<FleetSizing, '$comment'>): void {
  const file: FleetSizing = {
    $comment:
      'Written by npm run bench -- --fleet (test/bench/fleet.ts); read by infra/main.bicep for the instance limit.',
    ...sizing,
  };
  writeFileSync(path.join(root, FLEET_SIZING_FILE), `${JSON.stringify(file, null, 2)}\n`);
}
