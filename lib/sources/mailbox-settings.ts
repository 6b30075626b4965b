/**
 * The reader's own settings: the language, time zone and date and time formats each sender chose in their
 * mailbox (Graph `GET /users/{address}/mailboxSettings`, application permission MailboxSettings.Read).
 *
 * Optional by design: without the permission (403), without a mailbox (404), or on any other error, the
 * reader gets the tenant's defaults (EMAIL_DEFAULT_LANGUAGE, EMAIL_DEFAULT_TIME_ZONE) and the email goes
 * out as usual. Answers are cached per sender in the state table for a day (a missing permission for an
 * hour; a failed read not at all), so a sender costs about one Graph read a day; reads go twenty to a request
 * (Graph's JSON batching), a few requests at a time.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Settings } from '../config/settings';
import type { Clock } from '../core/clock';
import { DAY, HOUR } from '../core/clock';
import { withConcurrency } from '../core/concurrency';
import type { Logger } from '../core/log';
import type { Reader } from '../mail/compose';
import { languageForLocale, type Language } from '../mail/i18n';
import { ianaTimeZone } from '../mail/time-zones';
import type { StateStore } from '../store/state-store';
import { graphFailure } from './graph-errors';

export const MAILBOX_SETTINGS_CACHE_MS = DAY;
/** A missing permission is asked about again sooner: a grant should show within the hour. */
export const NO_PERMISSION_CACHE_MS = HOUR;
/**
 * Graph reads in flight at once. Outlook's limit is four concurrent requests per mailbox for an app; each
 * read here is of another mailbox (senders are de-duplicated first), so every mailbox sees one request at a
 * time. Eight keep a dry run over hundreds of senders short without approaching Graph's per-tenant limits.
 */
export const MAILBOX_SETTINGS_CONCURRENCY = 8;
/** Graph's JSON batching takes at most 20 requests in one call. */
export const MAILBOX_SETTINGS_PER_BATCH = 20;
/** Batches in flight at once: each asks twenty mailboxes once, so no mailbox sees two requests at a time. */
const MAILBOX_BATCHES_IN_FLIGHT = 2;
const STATE_JOB = 'mailbox-settings';

/** Why a reader got the tenant's defaults, or 'mailbox' when their own settings were used. */
export type ReaderSource =
  'mailbox' | 'no permission' | 'no mailbox' | 'error' | 'language not available' | 'unknown time zone';

export interface ReaderSettings extends Reader {
  timeZone: string;
  /** Where language and zone came from; a mailbox with only some usable settings lists each fallback. */
  sources: ReaderSource[];
}

interface CachedReader {
  readAt: string;
  reader: ReaderSettings;
}

/** What Graph answers (the fields we use). */
interface MailboxSettingsBody {
  language?: { locale?: unknown } | null;
  timeZone?: unknown;
  dateFormat?: unknown;
  timeFormat?: unknown;
}

export interface MailboxSettingsDependencies {
  graph: Client;
  state: Pick<StateStore, 'readMany' | 'writeMany'>;
  clock: Clock;
  logger: Logger;
  defaults: { language: Language; timeZone: string };
}

/** The tenant's defaults from the settings. */
export function readerDefaults(settings: Settings): { language: Language; timeZone: string } {
  return {
    language: settings.email.defaultLanguage ?? 'en',
    timeZone: settings.email.defaultTimeZone ?? 'UTC',
  };
}

const cacheKey = (address: string) => createHash('sha256').update(address.toLowerCase()).digest('hex');

/**
 * The settings to write each sender's email with; never throws. The cache is read for every sender at
 * once (a query per 14 senders), Graph is asked for those not cached (twenty a request), and the new
 * answers are cached at once (a transaction per 100).
 */
export async function readerSettingsFor(
  deps: MailboxSettingsDependencies,
  senders: readonly string[],
): Promise<Map<string, ReaderSettings>> {
  const result = new Map<string, ReaderSettings>();
  const unique = [...new Set(senders.map((s) => s.toLowerCase()))];
  const now = deps.clock.now();
  let cached = new Map<string, CachedReader>();
  try {
    cached = await deps.state.readMany<CachedReader>(STATE_JOB, unique.map(cacheKey));
  } catch (error) {
    deps.logger.warn('mailbox settings: the cache could not be read; asking Graph', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
  const uncached: string[] = [];
  for (const sender of unique) {
    const entry = cached.get(cacheKey(sender));
    const ttl = entry?.reader.sources.includes('no permission')
      ? NO_PERMISSION_CACHE_MS
      : MAILBOX_SETTINGS_CACHE_MS;
    if (entry && now.getTime() - Date.parse(entry.readAt) < ttl) result.set(sender, entry.reader);
    else uncached.push(sender);
  }

  const answers: { key: string; value: CachedReader }[] = [];
  for (const [sender, reader] of await fetchReaders(deps, uncached)) {
    result.set(sender, reader);
    // A failed read is not remembered: the next email to this sender asks again.
    if (!reader.sources.includes('error'))
      answers.push({ key: cacheKey(sender), value: { readAt: now.toISOString(), reader } });
  }
  if (answers.length > 0) {
    try {
      await deps.state.writeMany(STATE_JOB, answers);
    } catch (error) {
      deps.logger.warn('mailbox settings: the answers could not be cached', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return result;
}

/**
 * Each sender's settings from Graph: twenty senders a request through Graph's JSON batching, a few batches
 * at once. A sender the batch did not answer for good (throttled, a service error, no answer) is read on
 * its own, through the client's retries; so is every sender where Graph refuses the batch endpoint itself,
 * and that Graph client is not offered a batch again.
 */
async function fetchReaders(
  deps: MailboxSettingsDependencies,
  senders: readonly string[],
): Promise<Map<string, ReaderSettings>> {
  const result = new Map<string, ReaderSettings>();
  const batches: string[][] = [];
  if (senders.length > 1 && !withoutBatching.has(deps.graph))
    for (let i = 0; i < senders.length; i += MAILBOX_SETTINGS_PER_BATCH)
      batches.push(senders.slice(i, i + MAILBOX_SETTINGS_PER_BATCH));
  const alone = batches.length === 0 ? [...senders] : [];
  await withConcurrency(batches, MAILBOX_BATCHES_IN_FLIGHT, async (batch) => {
    const answered = await fetchBatch(deps, batch);
    for (const sender of batch) {
      const reader = answered.get(sender);
      if (reader) result.set(sender, reader);
      else alone.push(sender);
    }
  });
  await withConcurrency(alone, MAILBOX_SETTINGS_CONCURRENCY, async (sender) => {
    result.set(sender, await fetchReader(deps, sender));
  });
  return result;
}

/** Graph clients whose endpoint refused `$batch` (no JSON batching there): their senders are read one by one. */
const withoutBatching = new WeakSet<MailboxSettingsDependencies['graph']>();

/** One batch's final answers by sender; a sender without one is left out (read again on its own). */
async function fetchBatch(
  deps: MailboxSettingsDependencies,
  senders: readonly string[],
): Promise<Map<string, ReaderSettings>> {
  const answered = new Map<string, ReaderSettings>();
  let body: unknown;
  try {
    body = await deps.graph
      .api('/$batch')
      .version('v1.0')
      .post({
        requests: senders.map((sender, k) => ({
          id: String(k),
          method: 'GET',
          url: `/users/${encodeURIComponent(sender)}/mailboxSettings`,
        })),
      });
  } catch (error) {
    const failure = graphFailure(error);
    const refused = [400, 404, 405, 501].includes(failure.status ?? 0);
    if (refused) withoutBatching.add(deps.graph);
    deps.logger.warn(
      refused
        ? 'mailbox settings: Graph refused a batch read; senders are read one by one from now on'
        : 'mailbox settings: a batch read failed; its senders are read one by one',
      { error: failure.text },
    );
    return answered;
  }
  const responses = (body as { responses?: unknown } | null)?.responses;
  for (const response of Array.isArray(responses) ? responses : []) {
    const {
      id,
      status,
      body: answer,
    } = (response ?? {}) as { id?: unknown; status?: unknown; body?: unknown };
    const sender = typeof id === 'string' && /^\d+$/.test(id) ? senders[Number(id)] : undefined;
    if (!sender || typeof status !== 'number') continue;
    if (status === 200) answered.set(sender, fromMailbox(deps.defaults, answer as MailboxSettingsBody));
    else if (refusalOf(status) !== 'error') answered.set(sender, defaultsFor(deps, [refusalOf(status)]));
  }
  return answered;
}

async function fetchReader(deps: MailboxSettingsDependencies, sender: string): Promise<ReaderSettings> {
  let body: MailboxSettingsBody;
  try {
    body = (await deps.graph
      .api(`/users/${encodeURIComponent(sender)}/mailboxSettings`)
      .version('v1.0')
      .get()) as MailboxSettingsBody;
  } catch (error) {
    const failure = graphFailure(error);
    const source: ReaderSource = refusalOf(failure.status);
    if (source === 'error') {
      deps.logger.warn("mailbox settings: a sender's settings could not be read; the defaults are used", {
        error: failure.text,
      });
    }
    return defaultsFor(deps, [source]);
  }
  return fromMailbox(deps.defaults, body);
}

/** What a read's failure status says: final for a missing permission or mailbox, else an error to retry. */
function refusalOf(status: number | undefined): 'no permission' | 'no mailbox' | 'error' {
  if (status === 401 || status === 403) return 'no permission';
  return status === 404 ? 'no mailbox' : 'error';
}

function defaultsFor(deps: MailboxSettingsDependencies, sources: ReaderSource[]): ReaderSettings {
  return { language: deps.defaults.language, timeZone: deps.defaults.timeZone, sources };
}

/** A mailbox's settings as a reader: each setting it lacks, or we cannot use, falls back on its own. */
export function fromMailbox(
  defaults: { language: Language; timeZone: string },
  body: MailboxSettingsBody | null | undefined,
): ReaderSettings {
  const sources: ReaderSource[] = [];
  const locale = typeof body?.language?.locale === 'string' ? body.language.locale : undefined;
  const language = languageForLocale(locale);
  if (!language) sources.push('language not available');
  const zone = ianaTimeZone(typeof body?.timeZone === 'string' ? body.timeZone : undefined);
  if (!zone) sources.push('unknown time zone');
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 40 ? value : undefined);
  return {
    language: language ?? defaults.language,
    ...(language && locale ? { locale: canonicalLocale(locale) } : {}),
    timeZone: zone ?? defaults.timeZone,
    ...(text(body?.dateFormat) ? { dateFormat: text(body?.dateFormat) } : {}),
    ...(text(body?.timeFormat) ? { timeFormat: text(body?.timeFormat) } : {}),
    sources: sources.length === 0 ? ['mailbox'] : sources,
  };
}

function canonicalLocale(locale: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(locale.replace(/_/g, '-'))[0];
  } catch {
    return undefined;
  }
}
