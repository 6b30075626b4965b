import { canonicalAddress } from '../../core/address';
import type { ReleaseEvent } from '../../core/domain';
import { personReleaser, SYSTEM_RELEASE, toolName } from '../../core/releaser';

/**
 * Turns one raw audit record into a release, or says why it is not one. Two shapes arrive
 * (docs/wire-contract.md, Audit records and Graph audit log queries):
 *
 * - the Graph `auditLogRecord`: an envelope (`id`, `createdDateTime`, `operation`, `userType`,
 *   `userPrincipalName`, …) around `auditData`, an object or a JSON string holding the classic fields.
 *   The envelope's user fields are crossed: `userPrincipalName` is the classic `UserId` (the actor),
 *   `userId` is the classic `UserKey` (never an actor);
 * - the flat classic record of Search-UnifiedAuditLog and the Management Activity API (`CreationTime`
 *   without a zone, which is UTC), possibly wrapped as Search-UnifiedAuditLog's `AuditData` string.
 *
 * Never throws: whatever arrives, the caller gets a release or a reason it can count.
 */

export type IgnoredReason =
  | 'not an object'
  | 'bad JSON in auditData'
  | 'not a release'
  | 'failed result'
  | 'no record id'
  | 'no NetworkMessageId'
  | 'bad NetworkMessageId'
  | 'unparsable time'
  | 'unreadable record';

/**
 * A record's releases: one per address in its ReleaseTo (one, as seen so far; an array or a comma or
 * semicolon list is read as its addresses), or one without an address when it names none.
 */
export type NormalisedAuditRecord = { releases: ReleaseEvent[] } | { ignored: IgnoredReason };

const RELEASE_OPERATIONS = new Set(['quarantinereleasemessage', 'quarantinerelease']);
/** RequestType 2 = Release (0 Preview, 1 Delete, 3 Export, 4 ViewHeader, 5 ReleaseRequest). */
const REQUEST_TYPE_RELEASE = 2;
const RECORD_TYPE_QUARANTINE = 65;
const SUCCESSFUL_RESULTS = new Set(['successful', 'success', 'succeeded', 'true']);
/** UserType 4 = System in the classic schema. */
const USER_TYPE_SYSTEM = 4;

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
/** ISO-8601 date-time with an optional fraction and an optional zone (absent zone = UTC). */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i;
/** Table Storage keys forbid these (docs/wire-contract.md); the record id becomes a RowKey. */
// eslint-disable-next-line no-control-regex
const KEY_FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

type Fields = Record<string, unknown>;

export function normaliseAuditRecord(raw: unknown): NormalisedAuditRecord {
  try {
    return normalise(raw);
  } catch {
    // Only exotic inputs (getters that throw, proxies) get here; JSON never does.
    return { ignored: 'unreadable record' };
  }
}

/** Normalises a page of records and counts the ignored ones by reason. */
export function normaliseAuditRecords(raws: readonly unknown[]): {
  releases: ReleaseEvent[];
  ignored: Partial<Record<IgnoredReason, number>>;
} {
  const releases: ReleaseEvent[] = [];
  const ignored: Partial<Record<IgnoredReason, number>> = {};
  for (const raw of raws) {
    const result = normaliseAuditRecord(raw);
    if ('releases' in result) releases.push(...result.releases);
    else ignored[result.ignored] = (ignored[result.ignored] ?? 0) + 1;
  }
  return { releases, ignored };
}

function normalise(raw: unknown): NormalisedAuditRecord {
  if (!isObject(raw)) return { ignored: 'not an object' };

  // The Graph envelope carries the classic fields in `auditData`; Search-UnifiedAuditLog in `AuditData`.
  const nested = 'auditData' in raw ? raw.auditData : 'AuditData' in raw ? raw.AuditData : undefined;
  let classic: Fields = raw;
  let envelope: Fields = {};
  if (nested !== undefined && nested !== null) {
    const parsed = typeof nested === 'string' ? parseJson(nested) : nested;
    if (!isObject(parsed)) return { ignored: 'bad JSON in auditData' };
    classic = parsed;
    envelope = raw;
  }

  const operation = text(classic.Operation) ?? text(envelope.operation) ?? text(envelope.Operations);
  const requestType = integer(classic.RequestType);
  const recordType = classic.RecordType ?? envelope.auditLogRecordType ?? envelope.RecordType;
  const isQuarantineRecord =
    recordType === undefined ||
    integer(recordType) === RECORD_TYPE_QUARANTINE ||
    text(recordType)?.toLowerCase() === 'quarantine';
  const isRelease =
    (operation !== undefined && RELEASE_OPERATIONS.has(operation.toLowerCase())) ||
    (requestType === REQUEST_TYPE_RELEASE && isQuarantineRecord);
  if (!isRelease) return { ignored: 'not a release' };

  // An absent ResultStatus is accepted: a release record is written for a release that happened, and
  // some sources leave the field out; a failed attempt says so explicitly. Dropping it instead would
  // silently lose a sender's notification.
  const result = text(classic.ResultStatus) ?? text(envelope.resultStatus);
  if (result !== undefined && !SUCCESSFUL_RESULTS.has(result.toLowerCase()))
    return { ignored: 'failed result' };

  const id = (text(classic.Id) ?? text(envelope.id) ?? text(envelope.Identity))?.toLowerCase();
  if (id === undefined || id.length > 512 || KEY_FORBIDDEN.test(id)) return { ignored: 'no record id' };

  const messageIdText = text(classic.NetworkMessageId);
  if (messageIdText === undefined) return { ignored: 'no NetworkMessageId' };
  const messageId = GUID.exec(messageIdText)?.[1];
  if (messageId === undefined) return { ignored: 'bad NetworkMessageId' };

  const releasedAt =
    parseUtc(classic.CreationTime) ?? parseUtc(envelope.createdDateTime) ?? parseUtc(envelope.CreationDate);
  if (releasedAt === undefined) return { ignored: 'unparsable time' };

  // The actor is the classic UserId, which the Graph envelope calls userPrincipalName (crossed fields). Only
  // the "System release" actor is Microsoft's own release; a UserType of System counts only when no actor
  // is named (an app acting through the admin API is named, and is not Microsoft).
  const actor = text(classic.UserId) ?? text(envelope.userPrincipalName);
  const userType = classic.UserType ?? envelope.userType;
  const isSystemRelease =
    actor?.toLowerCase() === SYSTEM_RELEASE.toLowerCase() ||
    (actor === undefined &&
      (integer(userType) === USER_TYPE_SYSTEM || text(userType)?.toLowerCase() === 'system'));

  const release: ReleaseEvent = {
    id,
    source: 'audit',
    networkMessageId: messageId.toLowerCase(),
    releasedAt,
    isSystemRelease,
  };
  if (isSystemRelease) {
    release.releasedByRaw = SYSTEM_RELEASE;
  } else if (actor !== undefined) {
    release.releasedByRaw = actor;
    const person = personReleaser(actor);
    if (person !== undefined) release.releasedBy = person;
    // A release through the admin API may name the calling application (docs/wire-contract.md, Audit records).
    const context = isObject(classic.AppAccessContext) ? classic.AppAccessContext : {};
    const tool = toolName(context.ClientAppName) ?? toolName(classic.ClientAppName);
    if (tool !== undefined) release.releasedThrough = tool;
  }
  const releasedTo = releaseToAddresses(classic.ReleaseTo);
  if (releasedTo.length === 0) return { releases: [release] };
  return { releases: releasedTo.map((address) => ({ ...release, releasedTo: address })) };
}

/**
 * The addresses a ReleaseTo names, each read on its own: a string, an array of strings, or either holding
 * a comma or semicolon list. Each is kept in its canonical form; text that is no address is kept as it came
 * (lower-cased), so the release is recorded and the join finds it names no recipient.
 */
export function releaseToAddresses(value: unknown): string[] {
  const parts = (Array.isArray(value) ? value : [value])
    .flatMap((item) => (typeof item === 'string' ? item.split(/[,;]/) : []))
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return [...new Set(parts.map((part) => canonicalAddress(part) ?? part.toLowerCase()))];
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** A non-empty trimmed string, or undefined. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A whole number given as a number or a numeric string (Int64 arrives either way), or undefined. */
function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Reads an ISO-8601 time; one without a zone is UTC (Management Activity API). */
function parseUtc(value: unknown): string | undefined {
  const candidate = text(value);
  if (candidate === undefined) return undefined;
  const match = ISO_TIME.exec(candidate);
  if (!match) return undefined;
  const [, date, time, zone] = match;
  const [year, month, day] = date.split('-').map(Number);
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined; // 2026-02-30
  const ms = Date.parse(`${date}T${time}${zone ?? 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString();
}
