import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Each customer tenant's work is one message on a Storage queue, run by the queue-triggered function the
 * Functions platform scales out (docs/architecture.md#many-tenants): no scheduler or retry loop of ours.
 */
export const TENANT_RUN_QUEUE_NAME = 'qrn-tenant-runs';
/** Where the Functions host moves a message after its last failed attempt: the queue's name + `-poison`. */
export function poisonQueueName(queueName: string): string {
  return `${queueName}-poison`;
}

/** The fleet timer's schedule (NCRONTAB, UTC): the start of each 15-minute period. */
export const FLEET_SCHEDULE = '0 */15 * * * *';
/** The 15 minutes between two fleet timers, over which the tenants' runs are spread. */
export const FLEET_PERIOD_SECONDS = 15 * 60;
/** Room left at the end of the period, so a tenant's run starts before the next period's message. */
export const SPREAD_SECONDS = FLEET_PERIOD_SECONDS - 3 * 60;

const tenantRunMessage = z.object({
  tenantId: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lower-case GUID'),
  /** When the fleet timer queued it (ISO time). */
  queuedAt: z.string().datetime(),
});

export type TenantRunMessage = z.infer<typeof tenantRunMessage>;

/**
 * The tenant's place in the period: the same every period, spread evenly by a hash of its id, so Exchange
 * and Graph are not asked by every tenant at once and a tenant's runs stay 15 minutes apart.
 */
export function spreadDelaySeconds(tenantId: string, spreadSeconds = SPREAD_SECONDS): number {
  return createHash('sha256').update(tenantId).digest().readUInt32BE(0) % spreadSeconds;
}

/** A message as the Functions host reads it by default: base64 of the JSON text. */
export function encodeTenantRun(message: TenantRunMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** The message the trigger handed over (parsed JSON, or its text), checked; a bad one throws why. */
export function parseTenantRun(value: unknown): TenantRunMessage {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      throw new Error('a tenant run message must be JSON: {"tenantId": "<guid>", "queuedAt": "<time>"}');
    }
  }
  const result = tenantRunMessage.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `a tenant run message is malformed: ${issue?.path.join('.') || 'message'} ${issue?.message}`,
    );
  }
  return result.data;
}
