import { Client } from '@microsoft/microsoft-graph-client';
import { HOUR, ManualClock } from '../../lib/core/clock';
import { MemoryLogger } from '../../lib/core/log';
import {
  fromMailbox,
  readerSettingsFor,
  type MailboxSettingsDependencies,
} from '../../lib/sources/mailbox-settings';
import { startWorld, type World } from '../support/world';

describe("each sender's language and time zone, from their mailbox settings", () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({
      settings: { EMAIL_DEFAULT_LANGUAGE: 'fr', EMAIL_DEFAULT_TIME_ZONE: 'Romance Standard Time' },
    });
  });
  afterAll(async () => world?.close());

  const deps = (): MailboxSettingsDependencies => ({
    graph: world.app.graph,
    state: world.app.state,
    clock: world.clock,
    logger: world.logger,
    defaults: { language: 'fr', timeZone: 'Europe/Paris' },
  });
  const mailboxReads = () =>
    world.simulator.scenario.requests('graph').filter((r) => /\/mailboxSettings$/i.test(r.path));
  const batches = () =>
    world.simulator.scenario
      .requests('graph')
      .filter((r) => r.method === 'POST' && r.path === '/v1.0/$batch');

  it('GIVEN senders with mailboxes, without one, and with an unknown zone THEN each gets what can be used of theirs, the rest from the defaults', async () => {
    world.simulator.scenario.clearRequests();
    const readers = await readerSettingsFor(deps(), [
      'johanna.lorenz@contoso.com',
      'Megan.Bowen@contoso.com',
      'rania.haddad@contoso.com',
      'alex.wilber@contoso.com',
      'pradeep.gupta@contoso.com',
    ]);
    expect(readers.get('johanna.lorenz@contoso.com')).toEqual({
      language: 'de',
      locale: 'de-DE',
      timeZone: 'Europe/Berlin',
      dateFormat: 'dd.MM.yyyy',
      timeFormat: 'HH:mm',
      sources: ['mailbox'],
    });
    expect(readers.get('megan.bowen@contoso.com')).toMatchObject({
      language: 'en',
      locale: 'en-US',
      timeZone: 'America/Los_Angeles',
    });
    expect(readers.get('rania.haddad@contoso.com')).toMatchObject({
      language: 'ar',
      timeZone: 'Asia/Riyadh',
    });
    // No mailbox (404): the tenant's defaults.
    expect(readers.get('alex.wilber@contoso.com')).toEqual({
      language: 'fr',
      timeZone: 'Europe/Paris',
      sources: ['no mailbox'],
    });
    // A zone name no mapping knows: their language, the default zone.
    expect(readers.get('pradeep.gupta@contoso.com')).toMatchObject({
      language: 'en',
      locale: 'en-GB',
      timeZone: 'Europe/Paris',
      sources: ['unknown time zone'],
    });
    expect(mailboxReads()).toHaveLength(5);
    expect(mailboxReads().every((r) => r.method === 'GET' && r.path.startsWith('/v1.0/users/'))).toBe(true);
    expect(batches()).toHaveLength(1); // the five asked in one request, answered in another order
  });

  it('GIVEN the same senders within a day THEN the answers come from the state table, and after a day Graph is asked again', async () => {
    world.simulator.scenario.clearRequests();
    await readerSettingsFor(deps(), ['johanna.lorenz@contoso.com', 'alex.wilber@contoso.com']);
    expect(mailboxReads()).toHaveLength(0);
    world.clock.advance(25 * HOUR);
    await readerSettingsFor(deps(), ['johanna.lorenz@contoso.com', 'alex.wilber@contoso.com']);
    expect(mailboxReads()).toHaveLength(2);
  });

  it('GIVEN 30 senders, 2 of them cached THEN the cache is read in one call for all, Graph asked for the 28 others, and their answers cached in one call', async () => {
    world.clock.advance(25 * HOUR);
    const cachedSenders = ['johanna.lorenz@contoso.com', 'alex.wilber@contoso.com'];
    await readerSettingsFor(deps(), cachedSenders);
    const others = Array.from({ length: 28 }, (_, i) => `sender${i}@contoso.com`);
    const calls: { readMany: number[]; writeMany: number[] } = { readMany: [], writeMany: [] };
    const state = world.app.state;
    const counting: MailboxSettingsDependencies['state'] = {
      readMany: async (job, keys) => (calls.readMany.push(keys.length), state.readMany(job, keys)),
      writeMany: async (job, entries) => (
        calls.writeMany.push(entries.length),
        state.writeMany(job, entries)
      ),
    };
    world.simulator.scenario.clearRequests();
    const readers = await readerSettingsFor({ ...deps(), state: counting }, [...cachedSenders, ...others]);
    expect(readers.size).toBe(30);
    expect(readers.get('johanna.lorenz@contoso.com')?.language).toBe('de');
    expect(calls).toEqual({ readMany: [30], writeMany: [28] });
    expect(mailboxReads()).toHaveLength(28);
    expect(batches().map((b) => (b.body as { requests: unknown[] }).requests.length)).toEqual([20, 8]);
  });

  it('GIVEN Graph throttling mailbox reads (429, Retry-After) while eight are in flight THEN each read is retried and every sender gets their own settings', async () => {
    world.clock.advance(25 * HOUR); // past the cache
    world.simulator.scenario.clearRequests();
    world.simulator.scenario.injectFault({
      service: 'graph',
      kind: 'throttle',
      retryAfterSeconds: 1,
      count: 3,
      match: 'mailboxSettings',
    });
    const senders = ['johanna.lorenz@contoso.com', 'megan.bowen@contoso.com', 'rania.haddad@contoso.com'];
    const readers = await readerSettingsFor(deps(), senders);
    expect(senders.map((s) => [readers.get(s)?.language, readers.get(s)?.sources])).toEqual([
      ['de', ['mailbox']],
      ['en', ['mailbox']],
      ['ar', ['mailbox']],
    ]);
    // All three answered 429 inside the batch and were asked again on their own (the client's retries
    // behind them): six reads, none left unanswered.
    expect(mailboxReads()).toHaveLength(6);
    expect(batches()).toHaveLength(1);
  });

  it('GIVEN no MailboxSettings.Read permission (403) THEN every sender gets the defaults and nothing fails', async () => {
    world.clock.advance(25 * HOUR);
    world.simulator.scenario.setPermissions({ mailboxSettingsRead: false });
    try {
      const readers = await readerSettingsFor(deps(), ['johanna.lorenz@contoso.com']);
      expect(readers.get('johanna.lorenz@contoso.com')).toEqual({
        language: 'fr',
        timeZone: 'Europe/Paris',
        sources: ['no permission'],
      });
      expect(mailboxReads().at(-1)?.status).toBe(403);
      // Granted later: within the hour the sender's own settings are used.
      world.simulator.scenario.setPermissions({ mailboxSettingsRead: true });
      world.clock.advance(61 * 60_000);
      const later = await readerSettingsFor(deps(), ['johanna.lorenz@contoso.com']);
      expect(later.get('johanna.lorenz@contoso.com')?.language).toBe('de');
    } finally {
      world.simulator.scenario.setPermissions({ mailboxSettingsRead: true });
    }
  });

  it('GIVEN Graph failing and the state table failing THEN the defaults are used and each failure is logged', async () => {
    const logger = new MemoryLogger();
    const failing = {
      graph: {
        api: () => ({
          version: () => ({
            get: async () => Promise.reject(Object.assign(new Error('boom'), { statusCode: 503 })),
            post: async () => Promise.reject(Object.assign(new Error('boom'), { statusCode: 503 })),
          }),
        }),
      },
      state: {
        readMany: async () => Promise.reject(new Error('table down')),
        writeMany: async () => Promise.reject(new Error('table down')),
      },
      clock: new ManualClock('2026-03-02T16:00:00Z'),
      logger,
      defaults: { language: 'sv', timeZone: 'Europe/Stockholm' },
    } as unknown as MailboxSettingsDependencies;
    const readers = await readerSettingsFor(failing, ['a@contoso.com', 'b@contoso.com']);
    expect([...readers.values()].map((r) => r.sources)).toEqual([['error'], ['error']]);
    // The cache read (one for both senders), the batch and then each sender's own read failed; a failed
    // read is not cached, so nothing was written.
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'mailbox settings: the cache could not be read; asking Graph',
      'mailbox settings: a batch read failed; its senders are read one by one',
      "mailbox settings: a sender's settings could not be read; the defaults are used",
      "mailbox settings: a sender's settings could not be read; the defaults are used",
    ]);
  });

  it('GIVEN a Graph that refuses JSON batches (the simulator switched so) THEN every sender is read on their own and gets their own settings', async () => {
    world.clock.advance(25 * HOUR); // past the cache
    world.simulator.scenario.setGraphQuirks({ batchRefused: true });
    const logger = new MemoryLogger();
    try {
      world.simulator.scenario.clearRequests();
      // A Graph client of its own: the app's would remember the refusal for the tests after this one.
      const graph = Client.initWithMiddleware({
        authProvider: {
          getAccessToken: async () =>
            (await world.app.credential.getToken(`${world.simulator.urls.graph}/.default`))!.token,
        },
        baseUrl: world.simulator.urls.graph,
        customHosts: new Set([new URL(world.simulator.urls.graph).hostname]),
      });
      const senders = ['johanna.lorenz@contoso.com', 'megan.bowen@contoso.com', 'alex.wilber@contoso.com'];
      const readers = await readerSettingsFor({ ...deps(), graph, logger }, senders);
      expect(senders.map((s) => readers.get(s)?.sources)).toEqual([['mailbox'], ['mailbox'], ['no mailbox']]);
      expect(batches().map((b) => b.status)).toEqual([404]);
      expect(mailboxReads().map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
      expect(logger.lines.map((l) => l.message)).toEqual([
        'mailbox settings: Graph refused a batch read; senders are read one by one from now on',
      ]);
      world.clock.advance(25 * HOUR);
      world.simulator.scenario.clearRequests();
      await readerSettingsFor({ ...deps(), graph, logger }, senders);
      expect(batches()).toEqual([]); // not offered again
      expect(mailboxReads()).toHaveLength(3);
    } finally {
      world.simulator.scenario.setGraphQuirks({ batchRefused: false });
    }
  });

  it('GIVEN a batch answering each sender differently THEN 200, 403 and 404 are final, and a throttled, failed or missing answer is read again on its own', async () => {
    const asked: string[] = [];
    const answers: Record<string, { status: number; body?: unknown }> = {
      'ok@contoso.com': {
        status: 200,
        body: { language: { locale: 'sv-SE' }, timeZone: 'W. Europe Standard Time' },
      },
      'denied@contoso.com': { status: 403 },
      'gone@contoso.com': { status: 404 },
      'throttled@contoso.com': { status: 429 },
      'broken@contoso.com': { status: 500 },
    };
    const graph = {
      api: (path: string) => ({
        version: () => ({
          post: async (body: { requests: { id: string; url: string }[] }) => {
            asked.push(`batch of ${body.requests.length}`);
            // Answers in another order; one sender (missing@) gets none; one id is not ours.
            const responses = body.requests
              .map((r) => ({ r, sender: decodeURIComponent(r.url.split('/')[2]) }))
              .filter(({ sender }) => answers[sender])
              .map(({ r, sender }) => ({ id: r.id, ...answers[sender] }))
              .reverse();
            return { responses: [...responses, { id: '99', status: 200, body: {} }] };
          },
          get: async () => {
            asked.push(`alone ${decodeURIComponent(path.split('/')[2])}`);
            return { language: { locale: 'nl-NL' }, timeZone: 'W. Europe Standard Time' };
          },
        }),
      }),
    };
    const readers = await readerSettingsFor(
      {
        ...deps(),
        graph: graph as unknown as MailboxSettingsDependencies['graph'],
        state: { readMany: async () => new Map(), writeMany: async () => undefined },
      },
      [...Object.keys(answers), 'missing@contoso.com'],
    );
    expect(asked.slice(0, 1)).toEqual(['batch of 6']);
    expect(asked.slice(1).sort()).toEqual([
      'alone broken@contoso.com',
      'alone missing@contoso.com',
      'alone throttled@contoso.com',
    ]);
    expect(Object.fromEntries([...readers].map(([s, r]) => [s, [r.language, r.sources]]))).toEqual({
      'ok@contoso.com': ['sv', ['mailbox']],
      'denied@contoso.com': ['fr', ['no permission']],
      'gone@contoso.com': ['fr', ['no mailbox']],
      'throttled@contoso.com': ['nl', ['mailbox']],
      'broken@contoso.com': ['nl', ['mailbox']],
      'missing@contoso.com': ['nl', ['mailbox']],
    });
  });

  it('GIVEN many senders, some named twice, and a Graph that refuses batches THEN at most eight reads are in flight, never two for one mailbox, and no batch is offered again', async () => {
    let inFlight = 0;
    let most = 0;
    let batchesOffered = 0;
    const open = new Map<string, number>();
    let mostForOneMailbox = 0;
    const slow = {
      ...deps(),
      state: { readMany: async () => new Map(), writeMany: async () => undefined },
      graph: {
        api: (path: string) => ({
          version: () => ({
            post: async () => {
              batchesOffered += 1;
              throw Object.assign(new Error("Resource not found for the segment '$batch'."), {
                statusCode: 404,
              });
            },
            get: async () => {
              inFlight += 1;
              most = Math.max(most, inFlight);
              const mailbox = path.toLowerCase();
              open.set(mailbox, (open.get(mailbox) ?? 0) + 1);
              mostForOneMailbox = Math.max(mostForOneMailbox, open.get(mailbox)!);
              await new Promise((resolve) => setImmediate(resolve));
              open.set(mailbox, open.get(mailbox)! - 1);
              inFlight -= 1;
              return { language: { locale: 'nl-NL' }, timeZone: 'W. Europe Standard Time' };
            },
          }),
        }),
      },
    } as unknown as MailboxSettingsDependencies;
    // 30 mailboxes, ten of them named twice (in another case) among the first ones.
    const senders = Array.from({ length: 30 }, (_, i) => `s${i}@contoso.com`);
    senders.splice(5, 0, ...Array.from({ length: 10 }, (_, i) => `S${i}@Contoso.com`));
    const readers = await readerSettingsFor(slow, senders);
    expect(readers.size).toBe(30);
    expect(most).toBe(8);
    expect(mostForOneMailbox).toBe(1);
    expect(readers.get('s7@contoso.com')?.language).toBe('nl');
    expect(batchesOffered).toBe(2); // both batches in flight when the refusal came
    await readerSettingsFor(slow, ['x1@contoso.com', 'x2@contoso.com']);
    expect(batchesOffered).toBe(2);
  });

  it('GIVEN odd mailbox answers THEN each unusable field falls back on its own', () => {
    const defaults = { language: 'en' as const, timeZone: 'UTC' };
    expect(fromMailbox(defaults, null)).toEqual({
      language: 'en',
      timeZone: 'UTC',
      sources: ['language not available', 'unknown time zone'],
    });
    expect(fromMailbox(defaults, { language: { locale: 'fi-FI' }, timeZone: 'Europe/Helsinki' })).toEqual({
      language: 'en',
      timeZone: 'Europe/Helsinki',
      sources: ['language not available'],
    });
    expect(
      fromMailbox(defaults, { language: { locale: 'ko-KR' }, timeZone: 42, dateFormat: 'x'.repeat(500) }),
    ).toEqual({
      language: 'ko',
      locale: 'ko-KR',
      timeZone: 'UTC',
      sources: ['unknown time zone'],
    });
  });
});
