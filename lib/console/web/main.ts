/**
 * The console's script, bundled for the browser at `npm run build` (dist/console/app.js).
 *
 * Safe by construction: every piece of outside text (subjects, addresses, reasons) reaches the page through
 * `textContent` only, after its control and bidirectional-override characters are made visible; no HTML is
 * ever built from strings. The page's Content-Security-Policy allows no inline script either.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import './console.css';
import type { ReleaseStatus } from '../../store/releases-store';
import type { ConsoleRow, ConsoleSummary, FleetTenantView, MessageHistory, ReleasesPage } from '../view';

// The legend is the page's own list (it wraps whole at any width); the canvas draws bars and axes only.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

// The server's shapes, shared as types only: nothing of the server is bundled.
type Status = ReleaseStatus;
type Row = ConsoleRow;
type Summary = ConsoleSummary;
type Page = ReleasesPage;
type History = MessageHistory;

const STATUS_LABELS: Record<Status, string> = {
  notified: 'Notified',
  pending: 'Waiting',
  skipped: 'Skipped',
  unmatched: 'Unmatched',
  failed: 'Failed',
};
// Colours with at least 3:1 contrast against white, told apart by more than hue in the legend's text.
const STATUS_COLOURS: Record<Status, string> = {
  notified: '#1b6e3a',
  pending: '#8a5a00',
  skipped: '#5b5b66',
  unmatched: '#6a3d9a',
  failed: '#b3261e',
};

const COLUMNS: { key: keyof Row; title: string; sortable: boolean }[] = [
  { key: 'subject', title: 'Subject', sortable: true },
  { key: 'sender', title: 'Sender', sortable: true },
  { key: 'releasedTo', title: 'Released to', sortable: true },
  { key: 'releasedBy', title: 'Released by', sortable: true },
  { key: 'receivedAt', title: 'Quarantined', sortable: true },
  { key: 'releasedAt', title: 'Released', sortable: true },
  { key: 'notifiedAt', title: 'Told', sortable: true },
  { key: 'sources', title: 'Source', sortable: false },
  { key: 'policy', title: 'Policy', sortable: true },
  { key: 'status', title: 'Status and reason', sortable: true },
];

const base = location.pathname.replace(/\/+$/, '');
const state = {
  sort: 'releasedAt' as keyof Row,
  direction: 'desc' as 'asc' | 'desc',
  continuation: null as string | null,
  pageStarts: [] as (string | null)[],
  utc: false,
  historyOf: null as string | null,
  /** The customer tenant whose view is shown; '' for the deployment's home tenant. */
  tenant: '',
};
let chart: Chart | undefined;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Outside text made safe to look at: control and bidi-override characters shown, not obeyed. */
export function shown(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]/g,
    (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = shown(text);
  if (className) element.className = className;
  return element;
}

/** The browser's own time zone, named; UTC is a click away (`state.utc`), and every export stays UTC. */
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const TIME_FORMAT = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
} as const;
const localTime = new Intl.DateTimeFormat(undefined, { ...TIME_FORMAT, timeZone: LOCAL_ZONE });
const utcTime = new Intl.DateTimeFormat(undefined, { ...TIME_FORMAT, timeZone: 'UTC' });

function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return (state.utc ? utcTime : localTime).format(ms);
}

/** A reason's ISO times ("delivered (ACS confirmed it by 2026-03-02T17:22:00.000Z)") in the chosen zone. */
function inZone(text: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z\b/g, (iso) => when(iso));
}

/** A time for the table: shown in the chosen zone, the other one on hover. */
function timeElement(iso: string): HTMLTimeElement {
  const time = el('time', when(iso));
  if (!iso || Number.isNaN(Date.parse(iso))) return time;
  time.dateTime = iso;
  time.title = (state.utc ? localTime : utcTime).format(Date.parse(iso));
  return time;
}

function showZone(): void {
  byId('time-zone').textContent = state.utc ? 'Times in UTC.' : `Times in ${LOCAL_ZONE}.`;
  byId('time-zone-toggle').textContent = state.utc ? `Show ${LOCAL_ZONE} time` : 'Show UTC';
}

/** Which tenant's view a request is for: none for the home tenant. */
function tenantParams(): URLSearchParams {
  const params = new URLSearchParams();
  if (state.tenant) params.set('tenant', state.tenant);
  return params;
}

function filterParams(): URLSearchParams {
  const params = tenantParams();
  params.set('period', byId<HTMLSelectElement>('period').value);
  const form = byId<HTMLFormElement>('filters');
  for (const name of ['sender', 'releasedBy', 'policy', 'status']) {
    const field = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    const value = field?.value.trim() ?? '';
    if (value) params.set(name, value);
  }
  return params;
}

/**
 * A data request. Its parameters travel in the x-filters header, never in the URL: the request log records
 * URLs whole, and a filter may name a person (docs/security.md, What appears in logs).
 */
function request(path: string, params: URLSearchParams | undefined, accept: string): Promise<Response> {
  return fetch(`${base}/data/${path}`, {
    credentials: 'same-origin',
    headers: { accept, ...(params ? { 'x-filters': params.toString() } : {}) },
  });
}

async function failure(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  return new Error(body.error ?? `HTTP ${response.status}`);
}

async function getJson<T>(path: string, params?: URLSearchParams): Promise<T> {
  const response = await request(path, params, 'application/json');
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** What the filter shows, as a CSV file: fetched with its filters in the header, saved from memory. */
async function downloadCsv(): Promise<void> {
  const status = byId('csv-status');
  status.textContent = 'Preparing the CSV…';
  try {
    const response = await request('releases.csv', tableParams(null), 'text/csv');
    if (!response.ok) throw await failure(response);
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1];
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name ?? 'releases.csv';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.textContent = '';
  } catch (error) {
    status.textContent = `Could not download: ${(error as Error).message}`;
  }
}

function showError(target: HTMLElement, error: unknown): void {
  target.replaceChildren(el('p', `Could not load: ${(error as Error).message}`, 'error'));
}

// ------------------------------------------------------------------ tiles and chart

function tile(name: string, value: number | string, label: string, detail?: string): HTMLLIElement {
  const item = el('li');
  item.dataset.tile = name;
  item.append(el('span', String(value), 'value'), el('span', label, 'label'));
  if (detail) item.append(el('span', detail, 'detail'));
  return item;
}

async function loadSummary(): Promise<void> {
  const tiles = byId('tiles');
  let summary: Summary;
  try {
    summary = await getJson<Summary>('summary', filterParams());
  } catch (error) {
    showError(tiles, error);
    return;
  }
  const t = summary.tiles;
  const skipped = t.skippedByReason.map((r) => `${r.count} ${r.reason}`).join('; ');
  tiles.replaceChildren(
    tile('releases', t.releases, 'Releases'),
    tile('sendersTold', t.sendersTold, 'Senders told'),
    tile('waiting', t.waiting, 'Waiting', t.nextNotifyRun ? `next run ${when(t.nextNotifyRun)}` : undefined),
    tile('skipped', t.skipped, 'Skipped', skipped || undefined),
    tile('unmatched', t.unmatched, 'Unmatched'),
    tile('failed', t.failed, 'Failed'),
  );
  drawChart(summary);
}

function drawChart(summary: Summary): void {
  const canvas = byId<HTMLCanvasElement>('chart');
  const statuses = Object.keys(STATUS_LABELS) as Status[];
  const data = {
    labels: summary.perDay.map((d) => d.day.slice(5)),
    datasets: statuses.map((status) => ({
      label: STATUS_LABELS[status],
      data: summary.perDay.map((d) => d[status]),
      backgroundColor: STATUS_COLOURS[status],
    })),
  };
  canvas.setAttribute(
    'aria-label',
    `Releases per day over ${summary.period.days} days, stacked by outcome: ` +
      statuses.map((s) => `${STATUS_LABELS[s]} ${summary.perDay.reduce((n, d) => n + d[s], 0)}`).join(', '),
  );
  byId('chart-legend').replaceChildren(
    ...statuses.map((status) => {
      const item = el('li', STATUS_LABELS[status]);
      item.style.setProperty('--swatch', STATUS_COLOURS[status]);
      return item;
    }),
  );
  if (chart) {
    chart.data = data;
    chart.update();
    return;
  }
  chart = new Chart(canvas, {
    type: 'bar',
    data,
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      scales: {
        x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  });
}

// ------------------------------------------------------------------ the table

function renderHead(): void {
  const head = byId('releases-head');
  head.replaceChildren(
    ...COLUMNS.map((column) => {
      const th = el('th', undefined, `col-${column.key}`);
      th.scope = 'col';
      if (!column.sortable) {
        th.textContent = column.title;
        return th;
      }
      const active = state.sort === column.key;
      th.setAttribute(
        'aria-sort',
        active ? (state.direction === 'asc' ? 'ascending' : 'descending') : 'none',
      );
      const button = el('button', column.title + (active ? (state.direction === 'asc' ? ' ▲' : ' ▼') : ''));
      button.type = 'button';
      button.dataset.sort = column.key;
      button.addEventListener('click', () => {
        if (state.sort === column.key) state.direction = state.direction === 'asc' ? 'desc' : 'asc';
        else {
          state.sort = column.key;
          state.direction = column.key.endsWith('At') ? 'desc' : 'asc';
        }
        renderHead();
        void loadTable(null, true);
      });
      th.append(button);
      return th;
    }),
  );
}

/**
 * A value in the table: it wraps between words only; what still does not fit (an address, a long word)
 * ends in an ellipsis, the whole value on hover and in the message's history.
 */
function clipped(text: string, className = 'value'): HTMLSpanElement {
  const span = el('span', text, className);
  if (text) span.title = shown(text);
  return span;
}

function cell(content: string | HTMLElement, label: string): HTMLTableCellElement {
  const td = el('td');
  td.dataset.label = label;
  td.append(typeof content === 'string' ? clipped(content) : content);
  return td;
}

function renderRow(row: Row): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.message = row.networkMessageId;
  const subject = el('td');
  subject.dataset.label = 'Subject';
  const open = el('button', row.subject || '(no subject)', 'link value');
  open.type = 'button';
  if (row.subject) open.title = shown(row.subject);
  open.setAttribute('aria-label', `History of ${shown(row.subject || 'the message without subject')}`);
  open.addEventListener('click', () => void loadHistory(row.networkMessageId));
  subject.append(open);
  const outcome = el('div');
  outcome.append(el('span', STATUS_LABELS[row.status] ?? row.status, `status status-${row.status}`));
  if (row.reason) outcome.append(clipped(inZone(row.reason), 'reason value'));
  const status = cell(outcome, 'Status');
  tr.append(
    subject,
    cell(clipped(row.sender, 'value address'), 'Sender'),
    cell(clipped(row.releasedTo, 'value address'), 'Released to'),
    cell(clipped(row.releasedBy, 'value address'), 'Released by'),
    cell(timeElement(row.receivedAt), 'Quarantined'),
    cell(timeElement(row.releasedAt), 'Released'),
    cell(timeElement(row.notifiedAt), 'Told'),
    cell(row.sources.join(', '), 'Source'),
    cell(row.policy, 'Policy'),
    status,
  );
  return tr;
}

/** The filters, the sort, and the page to start from. */
function tableParams(continuation: string | null): URLSearchParams {
  const params = filterParams();
  params.set('sort', String(state.sort));
  params.set('direction', state.direction);
  if (continuation) params.set('continuation', continuation);
  return params;
}

async function loadTable(continuation: string | null, first: boolean): Promise<void> {
  const body = byId('releases-body');
  const params = tableParams(continuation);
  let page: Page;
  try {
    page = await getJson<Page>('releases', params);
  } catch (error) {
    body.replaceChildren();
    showError(byId('count'), error);
    return;
  }
  if (first) state.pageStarts = [];
  state.pageStarts.push(continuation);
  state.continuation = page.continuation;
  body.replaceChildren(...page.rows.map(renderRow));
  const from = page.rows.length === 0 ? 0 : Number(continuation?.slice(1) ?? 0) + 1;
  byId('count').textContent =
    page.total === 0
      ? 'No releases match.'
      : `Releases ${from}–${from + page.rows.length - 1} of ${page.total}.`;
  // Only pages that exist are offered: no "Next" on the last page, no pager at all on the only one.
  byId('next-page').hidden = page.continuation === null;
  byId('first-page').hidden = !continuation;
  byId('pager').hidden = page.continuation === null && !continuation;
}

// ------------------------------------------------------------------ one message's history

function definitions(pairs: [string, string][]): HTMLDListElement {
  const list = el('dl');
  for (const [term, value] of pairs) {
    if (!value) continue;
    list.append(el('dt', term), el('dd', value));
  }
  return list;
}

async function loadHistory(networkMessageId: string): Promise<void> {
  const section = byId('history-section');
  const target = byId('history');
  state.historyOf = networkMessageId;
  section.hidden = false;
  target.replaceChildren(el('p', 'Loading…'));
  let history: History;
  try {
    const params = tenantParams();
    params.set('id', networkMessageId);
    history = await getJson<History>('message', params);
  } catch (error) {
    showError(target, error);
    return;
  }
  const releases = el('ol', undefined, 'history-releases');
  for (const release of history.releases) {
    const item = el('li');
    item.append(
      el('h3', `Released to ${release.releasedTo || '(no recipient named)'}`),
      definitions([
        ['Subject', release.subject],
        ['Sender', release.sender],
        ['Released by', release.releasedBy],
        ['Released', when(release.releasedAt)],
        ['Quarantined', when(release.receivedAt)],
        ['Policy', release.policy],
        ['Source', release.sources.join(', ')],
        ['Audit records', release.auditRecordIds.join(', ')],
        ['First seen', when(release.firstSeenAt)],
        [
          'Status',
          `${STATUS_LABELS[release.status] ?? release.status}${release.reason ? `: ${inZone(release.reason)}` : ''}`,
        ],
        ['Send attempts', release.sendAttempts ? String(release.sendAttempts) : ''],
        ['Told', when(release.notifiedAt)],
      ]),
    );
    releases.append(item);
  }
  const notifications = el('ol', undefined, 'history-notifications');
  for (const notification of history.notifications) {
    const item = el('li');
    item.dataset.notification = notification.id;
    item.append(
      el('h3', `Notification ${notification.id}`),
      definitions([
        ['Delivery state', notification.state],
        ['Sent to', notification.deliveredTo],
        ['Channel', notification.channel],
        ['Recorded', when(notification.createdAt)],
        ['Accepted', when(notification.sentAt)],
        ['Last error', notification.lastError ?? ''],
        ['Covers', `${notification.units.length} release(s)`],
      ]),
    );
    notifications.append(item);
  }
  target.replaceChildren(
    el('p', `Message ${history.networkMessageId}`, 'mono'),
    el('h3', `Release records (${history.releases.length})`, 'subhead'),
    releases,
    el('h3', `Notifications (${history.notifications.length})`, 'subhead'),
    history.notifications.length ? notifications : el('p', 'No notification was sent about this message.'),
  );
  byId('history-heading').focus();
}

// ------------------------------------------------------------------ health

async function loadHealth(): Promise<void> {
  const list = byId('health');
  const items: HTMLLIElement[] = [];
  try {
    const health = await getJson<{
      status: string;
      problems: string[];
      jobs: Record<'snapshot' | 'notify', { lastSuccessAt: string | null; ok: boolean }> | null;
      auditQuery: {
        used: boolean;
        open?: boolean;
        openAgeMinutes?: number | null;
        coveredUntil?: string | null;
        auditingOff?: { since: string; nextAttemptAt: string } | null;
      } | null;
    }>('health', tenantParams());
    for (const job of ['snapshot', 'notify'] as const) {
      const run = health.jobs?.[job];
      items.push(
        el(
          'li',
          `Last ${job} run: ${run?.lastSuccessAt ? when(run.lastSuccessAt) : 'none yet'}`,
          run?.ok ? 'ok' : 'problem',
        ),
      );
    }
    const audit = health.auditQuery;
    if (audit && audit.used && audit.auditingOff) {
      items.push(
        el(
          'li',
          `Auditing is turned off in the tenant (since ${when(audit.auditingOff.since)}): no release is read from ` +
            `the audit log, only those the quarantine shows. Next try ${when(audit.auditingOff.nextAttemptAt)}.`,
          'problem',
        ),
      );
    } else if (audit && audit.used) {
      items.push(
        el(
          'li',
          audit.open
            ? `Audit query open for ${audit.openAgeMinutes ?? 0} min`
            : `No audit query open${audit.coveredUntil ? `; covered until ${when(audit.coveredUntil)}` : ''}`,
          'ok',
        ),
      );
    }
    for (const problem of health.problems) items.push(el('li', problem, 'problem'));
  } catch (error) {
    items.push(el('li', `Health unknown: ${(error as Error).message}`, 'problem'));
  }
  list.replaceChildren(...items);
  try {
    const setup = await getJson<{
      checked: boolean;
      checks: { name: string; status: string; detail: string; fix?: string }[];
    }>('setup', tenantParams());
    if (setup.checked && setup.checks.length === 0) list.append(el('li', 'Setup: no problems found', 'ok'));
    for (const check of setup.checks) {
      list.append(
        el(
          'li',
          `Setup (${check.status}): ${check.name}: ${check.detail}${check.fix ? ` Fix: ${check.fix}` : ''}`,
          'problem',
        ),
      );
    }
  } catch (error) {
    list.append(el('li', `Setup not checked: ${(error as Error).message}`, 'problem'));
  }
}

// ------------------------------------------------------------------ fleet

/** The customer tenants: the switcher's choices, and (in the home view) the fleet table, failures first. */
async function loadTenants(): Promise<void> {
  let tenants: { tenantId: string; displayName: string; enabled: boolean }[];
  try {
    ({ tenants } = await getJson<{ tenants: typeof tenants }>('tenants'));
  } catch {
    // No switcher without the list: the home view still works.
    return;
  }
  if (tenants.length === 0) return;
  const select = byId<HTMLSelectElement>('tenant');
  const home = el('option', 'Home tenant');
  home.value = '';
  select.replaceChildren(
    home,
    ...tenants.map((t) => {
      const option = el('option', `${t.displayName || t.tenantId}${t.enabled ? '' : ' (disabled)'}`);
      option.value = t.tenantId;
      return option;
    }),
  );
  select.value = state.tenant;
  byId('tenant-switch').hidden = false;
  await loadFleet();
}

async function loadFleet(): Promise<void> {
  const section = byId('fleet-section');
  section.hidden = state.tenant !== '' || byId('tenant-switch').hidden;
  if (section.hidden) return;
  const body = byId('fleet-body');
  let tenants: FleetTenantView[];
  try {
    ({ tenants } = await getJson<{ tenants: FleetTenantView[] }>(
      'fleet',
      new URLSearchParams({ period: byId<HTMLSelectElement>('period').value }),
    ));
  } catch (error) {
    const row = el('tr');
    const message = el('td', `Could not load: ${(error as Error).message}`, 'error');
    message.colSpan = 7;
    row.append(message);
    body.replaceChildren(row);
    return;
  }
  body.replaceChildren(
    ...tenants.map((t) => {
      const row = el('tr');
      row.dataset.tenant = t.tenantId;
      row.className = t.status === 'unhealthy' || t.failed > 0 ? 'problem' : 'ok';
      const open = el('button', t.displayName || t.tenantId, 'link');
      open.type = 'button';
      open.addEventListener('click', () => switchTenant(t.tenantId));
      const name = el('th');
      name.scope = 'row';
      name.append(open);
      if (!t.enabled) name.append(el('span', ' (disabled)'));
      const health = t.status === 'healthy' ? 'Healthy' : `Unhealthy: ${t.problems.join('; ')}`;
      row.append(
        name,
        cell(health, 'Health'),
        cell(lastRun(t.lastRuns.snapshot), 'Last snapshot'),
        cell(lastRun(t.lastRuns.notify), 'Last notify'),
        cell(String(t.releases), 'Releases'),
        cell(String(t.sendersTold), 'Senders told'),
        cell(String(t.failed), 'Failed'),
      );
      return row;
    }),
  );
}

function lastRun(iso: string | null): HTMLElement | string {
  return iso ? timeElement(iso) : 'none yet';
}

/** Opens a tenant's view ('' for the home tenant): every section reloads from that tenant's tables. */
function switchTenant(tenantId: string): void {
  state.tenant = tenantId;
  byId<HTMLSelectElement>('tenant').value = tenantId;
  state.historyOf = null;
  byId('history-section').hidden = true;
  reloadAll();
  void loadHealth();
  void loadFleet();
}

// ------------------------------------------------------------------ wiring

function reloadAll(): void {
  void loadSummary();
  void loadTable(null, true);
}

function start(): void {
  showZone();
  renderHead();
  byId('period').addEventListener('change', () => {
    reloadAll();
    void loadFleet();
  });
  byId('tenant').addEventListener('change', () => switchTenant(byId<HTMLSelectElement>('tenant').value));
  const form = byId<HTMLFormElement>('filters');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    reloadAll();
  });
  form.addEventListener('reset', () => setTimeout(reloadAll, 0));
  byId('next-page').addEventListener('click', () => {
    if (state.continuation) void loadTable(state.continuation, false);
  });
  byId('first-page').addEventListener('click', () => void loadTable(null, true));
  byId('csv').addEventListener('click', () => void downloadCsv());
  byId('time-zone-toggle').addEventListener('click', () => {
    state.utc = !state.utc;
    showZone();
    reloadAll();
    void loadHealth();
    void loadFleet();
    if (state.historyOf && !byId('history-section').hidden) void loadHistory(state.historyOf);
  });
  byId('close-history').addEventListener('click', () => {
    state.historyOf = null;
    byId('history-section').hidden = true;
    byId('releases-heading').focus();
  });
  reloadAll();
  void loadHealth();
  void loadTenants();
}

start();
