import { randomUUID } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Settings } from '../config/settings';
import { DAY, type Clock } from '../core/clock';
import type { Logger } from '../core/log';
import { isAdminApiReleaser, personReleaser } from '../core/releaser';
import type { EmailChannel } from '../mail/channel';
import { ExchangeApiError, usefulErrorMessage, type ExchangeAdminApi } from '../sources/exchange/admin-api';
import { graphFailure } from '../sources/graph-errors';
import { mailboxToAsk } from './mailbox-settings-check';
import type { StateStore } from '../store/state-store';

/**
 * `qrn doctor --wire`: asks the tenant, read-only and within a few calls of each API, the questions the
 * wire facts leave open (docs/wire-contract.md marks each one "probed"), and puts what it found beside what
 * the code assumes. The answer is one JSON document an administrator can attach to a support request: it
 * holds counts, field names, statuses and the services' error texts with every address and id replaced,
 * never a row, an address or a subject.
 *
 * Exchange: 8 calls at most; Graph: 6; ACS: 1. No audit query is created, no email is sent.
 */

export const WIRE_PROBE_VERSION = 1;

export interface WireFinding {
  /** What is asked of the service. */
  question: string;
  /** What the code assumes, or how it copes with each answer. */
  assumed: string;
  /** What the tenant answered, in a few words. */
  found: string;
  /** The counts and shapes behind `found` (no personal value). */
  evidence?: Record<string, unknown>;
}

export interface WireReport {
  probe: 'qrn doctor --wire';
  version: number;
  ranAt: string;
  settings: { auditApiVersion: string; emailChannel: string; releaseSources: string };
  exchange: Record<string, WireFinding>;
  graph?: Record<string, WireFinding>;
  acs?: Record<string, WireFinding>;
}

type Exchange = Pick<ExchangeAdminApi, 'answer'>;

const QUARANTINE = 'Get-QuarantineMessage';
const MORE_RESULTS = /more results/i;
/** How Exchange names a release by Microsoft 365 itself in ReleasedBy ("System released"). */
const SYSTEM_WORDS = /^system\s*release/i;

/** Every address, GUID and long run of hex replaced: what is left can be shared. */
export function scrub(text: string, max = 300): string {
  const clean = text
    .replace(/[^\s"'<>(),;:[\]]*@[^\s"'<>(),;:[\]{}]+/g, '<address>')
    .replace(/\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?/gi, '<id>')
    .replace(/[0-9a-f]{24,}/gi, '<token>')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** An answer's shape: how many rows, where the truncation signals stand, how `value` was given. */
type Shape = {
  status: number;
  rows: number;
  value: 'array' | 'null' | 'absent' | 'not JSON' | 'other';
  warnings: 'absent' | 'empty' | 'more results' | 'other';
  nextLink: boolean;
  truncated: boolean;
  error?: string;
};

function shapeOf(answer: { status: number; body: unknown; bodyText?: string }): Shape & { link?: string } {
  const body = answer.body;
  const object = typeof body === 'object' && body !== null && !Array.isArray(body);
  const fields = (object ? body : {}) as Record<string, unknown>;
  const value = fields.value;
  const warnings = fields['@adminapi.warnings'];
  const link = typeof fields['@odata.nextLink'] === 'string' ? fields['@odata.nextLink'] : undefined;
  const shape: Shape & { link?: string } = {
    status: answer.status,
    rows: Array.isArray(value) ? value.length : 0,
    value: !object
      ? answer.body === undefined
        ? 'not JSON'
        : 'other'
      : Array.isArray(value)
        ? 'array'
        : value === null
          ? 'null'
          : value === undefined
            ? 'absent'
            : 'other',
    warnings: !Array.isArray(warnings)
      ? 'absent'
      : warnings.length === 0
        ? 'empty'
        : warnings.some((w) => MORE_RESULTS.test(String(w)))
          ? 'more results'
          : 'other',
    nextLink: link !== undefined && link !== '',
    truncated: false,
  };
  shape.truncated = shape.nextLink || (shape.warnings !== 'absent' && shape.warnings !== 'empty');
  if (answer.status < 200 || answer.status >= 300) shape.error = errorText(answer);
  if (link) shape.link = link;
  return shape;
}

function errorText(answer: { bodyText?: string }): string {
  const said = usefulErrorMessage(answer.bodyText).message;
  return said ? scrub(said) : `no text (a body of ${answer.bodyText?.length ?? 0} byte(s))`;
}

function rowsOf(answer: { body: unknown }): Record<string, unknown>[] {
  const value = (answer.body as { value?: unknown } | undefined)?.value;
  return Array.isArray(value)
    ? value.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    : [];
}

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String).filter((v) => v.trim() !== '') : [];

function visible(shape: Shape & { link?: string }): Shape {
  const { link: _link, ...rest } = shape;
  return rest;
}

/** The Exchange part: what the snapshot and the fast path depend on (at most 8 calls). */
export async function probeExchange(exchange: Exchange, clock: Clock): Promise<Record<string, WireFinding>> {
  const now = clock.now();
  const window = {
    StartReceivedDate: new Date(now.getTime() - 29 * DAY).toISOString(),
    EndReceivedDate: now.toISOString(),
  };
  const found: Record<string, WireFinding> = {};
  const ask = async (
    key: string,
    question: string,
    assumed: string,
    run: () => Promise<Omit<WireFinding, 'question' | 'assumed'>>,
  ) => {
    try {
      found[key] = { question, assumed, ...(await run()) };
    } catch (error) {
      found[key] = { question, assumed, found: `not answered: ${failureText(error)}` };
    }
  };
  const links: { link: string; parameters: Record<string, unknown> }[] = [];
  const call = async (
    parameters: Record<string, unknown>,
    preferPageSize?: number | false,
    cmdlet = QUARANTINE,
  ) => {
    const answer = await exchange.answer(cmdlet, parameters, { preferPageSize });
    const shape = shapeOf(answer);
    if (shape.link) links.push({ link: shape.link, parameters });
    return { answer, shape };
  };

  await ask(
    'preferHonoured',
    'Does `Prefer: odata.maxpagesize=1` cut a PageSize 2 answer to 1 row, with a nextLink and the warning?',
    'Honoured; every call sends the PageSize as its Prefer, and a page cut below PageSize is read again smaller.',
    async () => {
      const { shape } = await call({ ...window, PageSize: 2, Page: 1 }, 1);
      return {
        found: shape.error
          ? `HTTP ${shape.status}`
          : shape.rows <= 1 && shape.truncated
            ? 'yes'
            : shape.rows === 2
              ? 'no: both rows came back'
              : 'not observed: fewer than 2 rows in the last 29 days',
        evidence: visible(shape),
      };
    },
  );
  await ask(
    'serverPageWithoutPrefer',
    'Without a Prefer header, does PageSize 1000 come back whole, or does the server cut it?',
    'Either: a cut page (nextLink or warning) is never taken for the last one.',
    async () => {
      const { shape } = await call({ ...window, PageSize: 1000, Page: 1 }, false);
      return {
        found: shape.error
          ? `HTTP ${shape.status}`
          : shape.truncated
            ? `cut at ${shape.rows} row(s)`
            : `whole (${shape.rows} row(s))`,
        evidence: visible(shape),
      };
    },
  );
  await ask(
    'smallPageWhole',
    'Does a small PageSize (5, with its Prefer) come back whole?',
    'Yes; if not, the page is read again at a smaller size that divides the rows already read.',
    async () => {
      const { shape } = await call({ ...window, PageSize: 5, Page: 1 });
      return {
        found: shape.error ? `HTTP ${shape.status}` : shape.truncated ? `no: cut at ${shape.rows}` : 'yes',
        evidence: visible(shape),
      };
    },
  );
  await ask(
    'nextLinkReplayable',
    'Does POSTing a nextLink once, with the same body, answer its next page?',
    'Never depended on: a 400 "Expired or Invalid pagination request" leads to a smaller page.',
    async () => {
      const first = links[0];
      if (!first) return { found: 'not tested: no answer was cut' };
      const answer = await exchange.answer(QUARANTINE, first.parameters, { nextLink: first.link });
      const shape = visible(shapeOf(answer));
      return {
        found:
          shape.status >= 200 && shape.status < 300
            ? `yes (${shape.rows} row(s))`
            : `no: HTTP ${shape.status}${shape.error ? ` ${shape.error}` : ''}`,
        evidence: shape,
      };
    },
  );
  let releasedWithout: string | undefined;
  await ask(
    'releasedRowsInList',
    'Do released rows in the paged list carry ReleasedUser and ReleasedBy, and who do they name?',
    'Either: a released row without ReleasedUser is asked for by Identity; only SystemReleased true is ' +
      "Microsoft's own release, a SystemMailbox releaser is an app through the admin API.",
    async () => {
      const { answer, shape } = await call({ ...window, PageSize: 20, Page: 1, ReleaseStatus: 'Released' });
      if (shape.error) return { found: `HTTP ${shape.status}`, evidence: visible(shape) };
      const rows = rowsOf(answer);
      const releasers = rows.flatMap((r) => list(r.ReleasedBy));
      releasedWithout = rows.find((r) => list(r.ReleasedUser).length === 0 && typeof r.Identity === 'string')
        ?.Identity as string | undefined;
      const evidence = {
        rows: rows.length,
        withReleasedUser: rows.filter((r) => list(r.ReleasedUser).length > 0).length,
        withReleasedBy: rows.filter((r) => list(r.ReleasedBy).length > 0).length,
        systemReleased: rows.filter((r) => r.SystemReleased === true).length,
        releasedBy: {
          person: releasers.filter((r) => personReleaser(r) !== undefined).length,
          adminApiMailbox: releasers.filter((r) => isAdminApiReleaser(r)).length,
          systemWords: releasers.filter((r) => SYSTEM_WORDS.test(r)).length,
          other: releasers.filter(
            (r) => personReleaser(r) === undefined && !isAdminApiReleaser(r) && !SYSTEM_WORDS.test(r),
          ).length,
        },
        fields: [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) =>
          /^(Release|SystemRelease)[A-Za-z]*$/.test(k),
        ),
      };
      return {
        found:
          rows.length === 0
            ? 'not observed: no released row in the last 29 days'
            : `${evidence.withReleasedUser} of ${rows.length} name ReleasedUser, ${evidence.withReleasedBy} ReleasedBy`,
        evidence,
      };
    },
  );
  await ask(
    'identityShowsReleasedUser',
    'Does `-Identity` show ReleasedUser for a released row whose list entry has none?',
    'Documented so; when it does not, the release waits for its audit record.',
    async () => {
      if (!releasedWithout) return { found: 'not tested: no released row without ReleasedUser' };
      const { answer, shape } = await call({ Identity: releasedWithout });
      const [row] = rowsOf(answer);
      return {
        found: shape.error
          ? `HTTP ${shape.status}`
          : row === undefined
            ? 'no row came back'
            : list(row.ReleasedUser).length > 0
              ? 'yes'
              : 'no',
        evidence: { ...visible(shape), releasedUser: row ? list(row.ReleasedUser).length : null },
      };
    },
  );
  await ask(
    'emptyAnswer',
    'What does an answer with no rows look like (`value` absent, null or [], warnings)?',
    'Any of them is zero rows, never an error.',
    async () => {
      const end = new Date(now.getTime() - 28 * DAY);
      const { shape } = await call({
        StartReceivedDate: new Date(end.getTime() - 1000).toISOString(),
        EndReceivedDate: end.toISOString(),
        ReleaseStatus: 'Released',
        PageSize: 1,
        Page: 1,
      });
      return {
        found: shape.error
          ? `HTTP ${shape.status}`
          : shape.rows > 0
            ? 'not observed: the one-second window held a row'
            : `value ${shape.value}, warnings ${shape.warnings}`,
        evidence: visible(shape),
      };
    },
  );
  await ask(
    'acceptedDomainsRoute',
    'May the app run Get-AcceptedDomain?',
    'Tried first; Graph /domains (Domain.Read.All) or ACCEPTED_DOMAINS when refused.',
    async () => {
      const { shape } = await call({}, undefined, 'Get-AcceptedDomain');
      return {
        found: shape.error
          ? `no: HTTP ${shape.status}`
          : shape.truncated
            ? `yes (cut: a first page of ${shape.rows} domain(s))`
            : `yes (${shape.rows} domain(s))`,
        evidence: visible(shape),
      };
    },
  );
  return found;
}

/**
 * The Graph part: audit log query versions, /domains, mailbox settings (alone and in a JSON batch), and
 * which fields naming the calling application release records carry (read-only: GETs, and one batch of a
 * GET).
 */
export async function probeGraph(graph: Client, settings: Settings): Promise<Record<string, WireFinding>> {
  const status = async (path: string, version: 'v1.0' | 'beta') => {
    try {
      const body = (await graph.api(path).version(version).get()) as { value?: unknown };
      return { status: 200, count: Array.isArray(body?.value) ? body.value.length : undefined };
    } catch (error) {
      const failure = graphFailure(error);
      return { status: failure.status ?? null, error: scrub(failure.text) };
    }
  };
  const v1 = await status('/security/auditLog/queries?$top=1', 'v1.0');
  const beta = await status('/security/auditLog/queries?$top=1', 'beta');
  const domains = await status('/domains', 'v1.0');
  const mailboxPath = `/users/${encodeURIComponent(mailboxToAsk(settings))}/mailboxSettings`;
  const mailbox = await status(mailboxPath, 'v1.0');
  const batch = await batchStatus(graph, mailboxPath);
  const ok = (s: { status: number | null }) => s.status === 200;
  const recordsVersion = ok(v1) || !ok(beta) ? 'v1.0' : 'beta';
  return {
    auditQueriesVersion: {
      question: 'Which versions answer GET /security/auditLog/queries (v1.0, beta)?',
      assumed: `AUDIT_API_VERSION=${settings.auditApiVersion}; a 404 on v1.0 switches to beta by itself.`,
      found:
        ok(v1) && ok(beta)
          ? 'v1.0 and beta'
          : ok(beta)
            ? `beta only (v1.0: HTTP ${v1.status ?? 'no answer'})`
            : ok(v1)
              ? `v1.0 only (beta: HTTP ${beta.status ?? 'no answer'})`
              : `neither (v1.0: HTTP ${v1.status ?? 'no answer'}, beta: HTTP ${beta.status ?? 'no answer'})`,
      evidence: { v1, beta },
    },
    domainsReadable: {
      question: 'May the app read Graph /domains (Domain.Read.All)?',
      assumed: 'The fallback when Get-AcceptedDomain is refused (it knows nothing of MatchSubDomains).',
      found: ok(domains)
        ? `yes (${domains.count ?? 0} domain(s))`
        : `no: HTTP ${domains.status ?? 'no answer'}`,
      evidence: domains,
    },
    mailboxSettingsReadable: {
      question: "May the app read a mailbox's settings (MailboxSettings.Read)?",
      assumed: 'Optional: without it each email uses EMAIL_DEFAULT_LANGUAGE and EMAIL_DEFAULT_TIME_ZONE.',
      found: ok(mailbox)
        ? 'yes'
        : mailbox.status === 404
          ? 'permitted (the mailbox asked about does not exist)'
          : `no: HTTP ${mailbox.status ?? 'no answer'}`,
      evidence: { status: mailbox.status, ...(mailbox.error ? { error: mailbox.error } : {}) },
    },
    batchAnswered: {
      question: 'Does Graph answer a JSON batch (POST /v1.0/$batch holding the same mailbox settings read)?',
      assumed:
        'Mailbox settings are read twenty senders to a batch; a refused batch (400, 404, 405, 501) turns the app to one read per sender.',
      found:
        batch.status === 200
          ? `yes (the read inside answered HTTP ${batch.inner ?? 'nothing'})`
          : `no: HTTP ${batch.status ?? 'no answer'} (mailbox settings are read one by one)`,
      evidence: batch,
    },
    releaseRecordApp: await releaseRecordApp(graph, recordsVersion),
  };
}

/** A JSON batch of one read: whether Graph answers it, and what the read inside answered. */
async function batchStatus(
  graph: Client,
  path: string,
): Promise<{ status: number | null; inner?: number | null; error?: string }> {
  try {
    const body = (await graph
      .api('/$batch')
      .version('v1.0')
      .post({ requests: [{ id: '1', method: 'GET', url: path }] })) as { responses?: unknown };
    const answer = (Array.isArray(body?.responses) ? body.responses : []).find(
      (r: unknown) => isFields(r) && r.id === '1',
    ) as Fields | undefined;
    return { status: 200, inner: typeof answer?.status === 'number' ? answer.status : null };
  } catch (error) {
    const failure = graphFailure(error);
    return { status: failure.status ?? null, error: scrub(failure.text) };
  }
}

/** Fields of a release audit record that may name the application behind an admin API release. */
const APP_FIELDS = ['AppAccessContext', 'AppId', 'ClientAppId', 'ClientAppName'] as const;
type Fields = Record<string, unknown>;
const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Which of APP_FIELDS the release records of the app's latest finished audit query carry, and the field
 * names inside AppAccessContext: names and counts only, never a value (2 calls; no query is created).
 */
async function releaseRecordApp(graph: Client, version: 'v1.0' | 'beta'): Promise<WireFinding> {
  const question =
    'Do release audit records name the application behind a release through the admin API (AppAccessContext, AppId, ClientAppId, ClientAppName)?';
  const assumed =
    'A ClientAppName a person can read (in AppAccessContext or on its own) is named in the email as the tool the administrator used; ids alone are told as "an administrator".';
  try {
    const listed = (await graph.api('/security/auditLog/queries?$top=50').version(version).get()) as Fields;
    const finished = (Array.isArray(listed?.value) ? listed.value : [])
      .filter(isFields)
      .filter(
        (q) =>
          q.status === 'succeeded' &&
          typeof q.id === 'string' &&
          JSON.stringify([q.recordTypeFilters, q.operationFilters]).toLowerCase().includes('quarantine'),
      )
      .sort((a, b) => String(b.filterEndDateTime ?? '').localeCompare(String(a.filterEndDateTime ?? '')));
    if (finished.length === 0) {
      return {
        question,
        assumed,
        found: 'not asked: no finished audit query of quarantine releases to read',
      };
    }
    const page = (await graph
      .api(`/security/auditLog/queries/${encodeURIComponent(String(finished[0].id))}/records?$top=100`)
      .version(version)
      .get()) as Fields;
    const releases = (Array.isArray(page?.value) ? page.value : [])
      .filter(isFields)
      .map((r) => (isFields(r.auditData) ? r.auditData : r))
      .filter((d) =>
        String(d.Operation ?? '')
          .toLowerCase()
          .startsWith('quarantinerelease'),
      );
    const carrying = Object.fromEntries(
      APP_FIELDS.map((field) => [field, releases.filter((d) => d[field] !== undefined).length]),
    );
    const contextFields = [
      ...new Set(
        releases.flatMap((d) => (isFields(d.AppAccessContext) ? Object.keys(d.AppAccessContext) : [])),
      ),
    ]
      .map((name) => scrub(name, 60))
      .sort()
      .slice(0, 20);
    const present = APP_FIELDS.filter((f) => carrying[f] > 0).map((f) => `${f} in ${carrying[f]}`);
    return {
      question,
      assumed,
      found:
        releases.length === 0
          ? 'no release record in the latest finished query'
          : `${releases.length} release record(s): ${present.length > 0 ? present.join(', ') : 'none of these fields'}`,
      evidence: { releaseRecords: releases.length, carrying, appAccessContextFields: contextFields },
    };
  } catch (error) {
    const failure = graphFailure(error);
    return {
      question,
      assumed,
      found: `not asked: HTTP ${failure.status ?? 'no answer'} ${scrub(failure.text)}`,
    };
  }
}

/** The ACS part: what the status of an operation it never saw answers (1 call). */
export async function probeAcs(channel: EmailChannel | Error): Promise<Record<string, WireFinding>> {
  const question = 'What does GET /emails/operations/{id} answer for an id ACS never saw?';
  const assumed = 'A 404 or any other answer: never a reason to send an accepted email again.';
  if (channel instanceof Error) {
    return { unknownOperation: { question, assumed, found: `not asked: ${scrub(channel.message)}` } };
  }
  if (channel.name !== 'acs' || !channel.deliveryStatus) {
    return { unknownOperation: { question, assumed, found: 'not asked: EMAIL_CHANNEL is not acs' } };
  }
  try {
    const report = await channel.deliveryStatus(randomUUID());
    return {
      unknownOperation: {
        question,
        assumed,
        found: report.state === 'unknown' ? (report.raw ?? 'unknown') : `a state: ${report.state}`,
        evidence: { state: report.state },
      },
    };
  } catch (error) {
    return { unknownOperation: { question, assumed, found: `error: ${failureText(error)}` } };
  }
}

export async function probeWire(
  clients: { exchange: Exchange; graph: Client; channel: EmailChannel | Error },
  settings: Settings,
  clock: Clock,
): Promise<WireReport> {
  return {
    probe: 'qrn doctor --wire',
    version: WIRE_PROBE_VERSION,
    ranAt: clock.now().toISOString(),
    settings: {
      auditApiVersion: settings.auditApiVersion,
      emailChannel: settings.email.channel,
      releaseSources: settings.releaseSources,
    },
    exchange: await probeExchange(clients.exchange, clock),
    graph: await probeGraph(clients.graph, settings),
    acs: await probeAcs(clients.channel),
  };
}

export const WIRE_PROBE_STATE_JOB = 'snapshot';
export const WIRE_PROBE_STATE_KEY = 'wireProbe';

/**
 * The first snapshot of a new deployment asks Exchange the probe's questions once and logs the answers,
 * so the first real tenant tells which form of each unverified fact it has. Never fails the run.
 */
export async function probeOnFirstSnapshot(
  app: { exchange: Exchange; state: StateStore; clock: Clock },
  logger: Logger,
): Promise<void> {
  try {
    if ((await app.state.read(WIRE_PROBE_STATE_JOB, WIRE_PROBE_STATE_KEY)) !== undefined) return;
    const exchange = await probeExchange(app.exchange, app.clock);
    const ranAt = app.clock.now().toISOString();
    logger.info('wire probe: what Exchange answered on this tenant (qrn doctor --wire asks again)', {
      probe: JSON.stringify({ version: WIRE_PROBE_VERSION, ranAt, exchange }),
    });
    await app.state.write(WIRE_PROBE_STATE_JOB, WIRE_PROBE_STATE_KEY, { ranAt, exchange });
  } catch (error) {
    logger.warn('wire probe: not run; the next snapshot tries again', { error: failureText(error) });
  }
}

function failureText(error: unknown): string {
  if (error instanceof ExchangeApiError) return scrub(`${error.kind}: ${error.message}`);
  return scrub(error instanceof Error ? error.message : String(error));
}
