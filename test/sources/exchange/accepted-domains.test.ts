import type { Client } from '@microsoft/microsoft-graph-client';
import { ManualClock, HOUR, DAY } from '../../../lib/core/clock';
import { MemoryLogger } from '../../../lib/core/log';
import {
  AcceptedDomains,
  loadAcceptedDomains,
  mapAcceptedDomainRows,
  parseDomainList,
  type AcceptedDomainsDeps,
} from '../../../lib/sources/exchange/accepted-domains';
import { ExchangeApiError, type InvokeResult } from '../../../lib/sources/exchange/admin-api';
import type { StateStore } from '../../../lib/store/state-store';
import { fixtureJson } from '../../support/fixtures';

const fixtureRows = fixtureJson<{ value: unknown[] }>('exchange/get-accepteddomain.json').value;

/** The state table's read/write, in memory. */
function memoryState(): StateStore {
  const values = new Map<string, string>();
  return {
    read: async (job: string, key: string) => {
      const v = values.get(`${job}/${key}`);
      return v === undefined ? undefined : JSON.parse(v);
    },
    write: async (job: string, key: string, value: unknown) => {
      values.set(`${job}/${key}`, JSON.stringify(value));
    },
  } as unknown as StateStore;
}

function deps(
  overrides: Partial<AcceptedDomainsDeps> & { exchangeFails?: boolean; graphDomains?: string[] } = {},
) {
  const calls = { exchange: 0, graph: 0 };
  const d: AcceptedDomainsDeps = {
    exchange: {
      invoke: async (): Promise<InvokeResult> => {
        calls.exchange++;
        if (overrides.exchangeFails) {
          throw new ExchangeApiError('Exchange admin API forbade Get-AcceptedDomain (HTTP 403)', {
            kind: 'missing-directory-role',
            cmdlet: 'Get-AcceptedDomain',
            status: 403,
          });
        }
        return { rows: fixtureRows, warnings: [] };
      },
    },
    graph: {
      api: () => ({
        version: () => ({
          get: async () => {
            calls.graph++;
            if (!overrides.graphDomains) throw new Error('Insufficient privileges');
            return { value: overrides.graphDomains.map((id) => ({ id, isVerified: true })) };
          },
        }),
      }),
    } as unknown as Pick<Client, 'api'>,
    state: memoryState(),
    clock: new ManualClock('2026-03-02T12:00:00Z'),
    logger: new MemoryLogger(),
    settings: {},
    ...overrides,
  };
  return { deps: d, calls };
}

describe("Deciding whether a sender is one of the tenant's own", () => {
  const domains = new AcceptedDomains(mapAcceptedDomainRows(fixtureRows), 'exchange');

  test.each([
    ['megan.bowen@contoso.com', true],
    ['Megan.Bowen@CONTOSO.COM', true],
    ['"Megan" <megan.bowen@contoso.com>', false], // a display name is not an address: never emailed
    ['"<ceo@contoso.com>"@evil.example', false], // a quoted local part hiding an outside domain
    ['ceo@contoso.com <ceo@evil.example>', false],
    ['megan.bowen@CONTOSO.com.', false],
    ['megan.bowen@xn--cntoso-2ve.com', false], // a homograph's ASCII form is another domain
    ['someone@contoso.onmicrosoft.com', true],
    ['sales@eu.contoso.com', true],
    ['sales@paris.eu.contoso.com', true], // eu.contoso.com matches subdomains
    ['sales@us.contoso.com', false], // contoso.com does not
    ['buyer@fabrikam.example', false],
    ['evil@contoso.com.attacker.example', false],
    ['', false],
    ['no-at-sign', false],
  ])('%s → %s', (address, expected) => {
    expect(domains.isAccepted(address)).toBe(expected);
  });

  test('the list names each domain and whether subdomains match', () => {
    expect(domains.list()).toEqual([
      { domain: 'contoso.com', matchSubDomains: false },
      { domain: 'contoso.onmicrosoft.com', matchSubDomains: false },
      { domain: 'eu.contoso.com', matchSubDomains: true },
    ]);
  });

  test('the ACCEPTED_DOMAINS setting: "*.contoso.com" matches contoso.com and its subdomains', () => {
    const fromSetting = new AcceptedDomains(parseDomainList(['*.contoso.com', 'fabrikam.com']), 'setting');
    expect(fromSetting.isAccepted('a@contoso.com')).toBe(true);
    expect(fromSetting.isAccepted('a@x.contoso.com')).toBe(true);
    expect(fromSetting.isAccepted('a@fabrikam.com')).toBe(true);
    expect(fromSetting.isAccepted('a@x.fabrikam.com')).toBe(false);
  });
});

describe('Loading the accepted domains', () => {
  test('the setting overrides Exchange and Graph, which are not asked', async () => {
    const { deps: d, calls } = deps({ settings: { acceptedDomains: ['contoso.com'] } });
    const domains = await loadAcceptedDomains(d);
    expect(domains.source).toBe('setting');
    expect(calls).toEqual({ exchange: 0, graph: 0 });
  });

  test('Get-AcceptedDomain is asked once a day; in between the cached list is used', async () => {
    const { deps: d, calls } = deps();
    const first = await loadAcceptedDomains(d);
    expect(first.source).toBe('exchange');
    (d.clock as ManualClock).advance(23 * HOUR);
    await loadAcceptedDomains(d);
    expect(calls.exchange).toBe(1);
    (d.clock as ManualClock).advance(2 * HOUR);
    await loadAcceptedDomains(d);
    expect(calls.exchange).toBe(2);
  });

  test('when Exchange refuses, Graph /domains answers', async () => {
    const { deps: d, calls } = deps({
      exchangeFails: true,
      graphDomains: ['contoso.com', 'Contoso.OnMicrosoft.com'],
    });
    const domains = await loadAcceptedDomains(d);
    expect(domains.source).toBe('graph');
    expect(domains.isAccepted('a@contoso.onmicrosoft.com')).toBe(true);
    expect(calls).toEqual({ exchange: 1, graph: 1 });
  });

  test('when both refuse and nothing is cached, the error names both and the setting', async () => {
    const { deps: d } = deps({ exchangeFails: true });
    await expect(loadAcceptedDomains(d)).rejects.toThrow(
      /Exchange: .*403.*Graph \/domains: Insufficient privileges.*ACCEPTED_DOMAINS/,
    );
  });

  test('when both refuse after a day, the stale list is still used, with a warning', async () => {
    const { deps: d } = deps();
    await loadAcceptedDomains(d);
    const failing = deps({ exchangeFails: true, state: d.state, clock: d.clock });
    (d.clock as ManualClock).advance(2 * DAY);
    const domains = await loadAcceptedDomains(failing.deps);
    expect(domains.source).toBe('exchange');
    expect(domains.isAccepted('a@contoso.com')).toBe(true);
    expect((failing.deps.logger as MemoryLogger).text()).toMatch(/using the cached list/);
  });
});
