import { readFileSync } from 'node:fs';
import { DAY, HOUR, ManualClock } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { fixtureJson as fixture, fixturePath } from '../support/fixtures';
import { call, invoke, startTestSimulator, tokenFor } from '../support/simulator';

const quarantinePage = fixture('exchange/get-quarantinemessage.page.json');
const invalidEnum = fixture('exchange/error-400-invalid-enum.json');
const unknownParameter = fixture('exchange/error-400-unknown-parameter.json');
const acceptedDomains = fixture('exchange/get-accepteddomain.json');
const missingRoleBody = readFileSync(fixturePath('exchange/error-403-missing-role.bin'));

describe('simulated Exchange admin API', () => {
  let sim: Simulator;
  let token: string;
  const clock = new ManualClock('2026-03-02T12:00:00Z');
  const get = (parameters: unknown = {}) => invoke(sim, token, 'Get-QuarantineMessage', parameters);

  beforeAll(async () => {
    sim = await startTestSimulator({ clock, tokenLifetimeMs: 365 * DAY });
    token = await tokenFor(sim, 'exchange');
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    clock.set('2026-03-02T12:00:00Z');
    sim.scenario.clearQuarantine();
    sim.scenario.setPermissions({ exchangeManageAsApp: true, securityReader: true });
    sim.scenario.clearRequests();
  });

  it('GIVEN the fixture rows added verbatim THEN the page is the fixture page, envelope and all', async () => {
    for (const row of quarantinePage.value) sim.scenario.addRawRow(row);
    const res = await get({
      StartReceivedDate: '2026-02-20T00:00:00Z',
      EndReceivedDate: '2026-03-03T00:00:00Z',
    });
    expect(res.status).toBe(200);
    const { '@odata.context': context, ...rest } = res.json;
    expect(context).toBe(
      `${sim.urls.exchange}/adminapi/beta/${sim.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
    );
    const { '@odata.context': _fixtureContext, ...fixtureRest } = quarantinePage;
    // Newest first by ReceivedTime.
    const byTime = [...fixtureRest.value].sort(
      (a: { ReceivedTime: string }, b: { ReceivedTime: string }) =>
        Date.parse(b.ReceivedTime) - Date.parse(a.ReceivedTime),
    );
    expect(rest).toEqual({ ...fixtureRest, value: byTime });
  });

  it('GIVEN addMessage THEN its rows have the fixture row shape: same keys, same order, side-keys, date form', async () => {
    const { networkMessageId, identities } = sim.scenario.addMessage({
      sender: 'megan.bowen@contoso.com',
      recipients: ['buyer@fabrikam.example', 'ap@fabrikam.example'],
      subject: 'Q1 price list (confidential)',
    });
    expect(identities).toHaveLength(2);
    const res = await get({ Identity: networkMessageId });
    expect(res.json.value).toHaveLength(2);
    const row = res.json.value[0];
    expect(Object.keys(row)).toEqual(Object.keys(quarantinePage.value[0]));
    expect(row).toMatchObject({
      Identity: identities[0],
      'ReceivedTime@data.type': 'System.DateTime',
      ReceivedTime: '2026-03-02T12:00:00.0000000+00:00',
      Expires: '2026-04-01T12:00:00.0000000+00:00',
      Organization: sim.tenantId,
      RecipientAddress: ['buyer@fabrikam.example'],
      Type: 'TransportRule',
      QuarantineTypes: 'TransportRule',
      PolicyType: 'ExchangeTransportRule',
      ReleaseStatus: 'NOTRELEASED',
      Direction: 'Outbound',
      RecipientCount: 1,
    });
    expect(res.json.value[1].RecipientAddress).toEqual(['ap@fabrikam.example']);
    expect(String(row.Identity)).toMatch(/^[0-9a-f-]{36}\\[0-9a-f-]{36}$/);
  });

  it('GIVEN a message without recipients THEN one row with an empty RecipientAddress', async () => {
    const { identities } = sim.scenario.addMessage({ sender: '', recipients: [], type: 'HighConfPhish' });
    expect(identities).toHaveLength(1);
    const [row] = (await get()).json.value;
    expect(row).toMatchObject({
      RecipientAddress: [],
      RecipientCount: 0,
      Type: 'High Confidence Phish',
      QuarantineTypes: 'HighConfPhish',
    });
  });

  it('GIVEN 2,500 rows WHEN paged by 1000 THEN 1000, 1000, 500, then an empty page; no total anywhere', async () => {
    for (let i = 0; i < 2500; i++) {
      sim.scenario.addMessage({
        sender: `user${i}@contoso.com`,
        recipients: ['x@fabrikam.example'],
        receivedAt: new Date(clock.now().getTime() - (i + 1) * 60_000),
      });
    }
    const sizes: number[] = [];
    const seen = new Set<string>();
    let previous = Infinity;
    for (let page = 1; page <= 4; page++) {
      const res = await get({
        PageSize: 1000,
        Page: page,
        StartReceivedDate: '2026-02-20T00:00:00Z',
        EndReceivedDate: '2026-03-02T12:00:00Z',
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual([
        '@odata.context',
        'adminapi.warnings@odata.type',
        '@adminapi.warnings',
        'value',
      ]);
      sizes.push(res.json.value.length);
      for (const row of res.json.value) {
        seen.add(row.Identity);
        const t = Date.parse(row.ReceivedTime);
        expect(t).toBeLessThanOrEqual(previous);
        previous = t;
      }
    }
    expect(sizes).toEqual([1000, 1000, 500, 0]);
    expect(seen.size).toBe(2500);
    expect((await get({})).json.value).toHaveLength(100); // PageSize defaults to 100
  });

  it('GIVEN the paging switches THEN pages are cut whatever Prefer asks, every nextLink answers 400, and an empty answer has value as switched', async () => {
    for (let i = 0; i < 7; i++) {
      sim.scenario.addMessage({
        sender: `user${i}@contoso.com`,
        recipients: ['x@fabrikam.example'],
        receivedAt: new Date(clock.now().getTime() - (i + 1) * 60_000),
      });
    }
    const post = (url: string, parameters: unknown) =>
      call(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          prefer: 'odata.maxpagesize=1000',
        },
        body: JSON.stringify({
          CmdletInput: { CmdletName: 'Get-QuarantineMessage', Parameters: parameters },
        }),
      });
    const url = `${sim.urls.exchange}/adminapi/beta/${sim.tenantId}/InvokeCommand`;
    const window = { StartReceivedDate: '2026-02-20T00:00:00Z', EndReceivedDate: '2026-03-02T12:00:00Z' };
    try {
      sim.scenario.setExchangeQuirks({ cutPagesAt: 3 });
      const cut = await post(url, { ...window, PageSize: 1000, Page: 1 });
      expect(cut.json.value).toHaveLength(3);
      expect(cut.json['@adminapi.warnings']).toEqual([expect.stringMatching(/more results/)]);
      const next = await post(cut.json['@odata.nextLink'], { ...window, PageSize: 1000, Page: 1 });
      expect(next.json.value).toHaveLength(3);
      // Below the cut, a page comes whole: no nextLink, no warning.
      const whole = await post(url, { ...window, PageSize: 3, Page: 2 });
      expect(whole.json.value).toHaveLength(3);
      expect(whole.json['@odata.nextLink']).toBeUndefined();
      expect(whole.json['@adminapi.warnings']).toEqual([]);

      sim.scenario.setExchangeQuirks({ refuseNextLinks: true });
      const refused = await post(cut.json['@odata.nextLink'], { ...window, PageSize: 1000, Page: 1 });
      expect(refused.status).toBe(400);
      expect(refused.text).toMatch(/Expired or Invalid pagination request/);

      const empty = { ...window, PageSize: 3, Page: 4 };
      sim.scenario.setExchangeQuirks({ emptyValue: 'absent' });
      expect(Object.keys((await post(url, empty)).json)).not.toContain('value');
      sim.scenario.setExchangeQuirks({ emptyValue: 'null' });
      expect((await post(url, empty)).json.value).toBeNull();
      sim.scenario.setExchangeQuirks({ emptyValue: 'list' });
      expect((await post(url, empty)).json.value).toEqual([]);
      expect(() => sim.scenario.setExchangeQuirks({ emptyValue: 'none' as 'list' })).toThrow(/emptyValue/);
    } finally {
      sim.scenario.setExchangeQuirks({ cutPagesAt: 0, refuseNextLinks: false, emptyValue: 'list' });
    }
  });

  it('GIVEN PageSize 0, 1001 or Page 0 THEN 200 empty, or 400 envelopes', async () => {
    sim.scenario.addMessage({ sender: 'a@contoso.com', recipients: ['b@fabrikam.example'] });
    const zero = await get({ PageSize: 0 });
    expect(zero.status).toBe(200);
    expect(zero.json.value).toEqual([]);
    const big = await get({ PageSize: 1001 });
    expect(big.status).toBe(400);
    expect(big.json.error.message).toBe('Invalid Operation');
    expect(big.json.error.innererror.internalexception.message).toMatch(
      /PageSize.*1001.*maximum allowed range of 1000/,
    );
    const page0 = await get({ Page: 0 });
    expect(page0.status).toBe(400);
    const notNumber = await get({ PageSize: 'many' });
    expect(notNumber.status).toBe(400);
  });

  it('GIVEN no dates THEN only the last 16 days; a start older than 30 days is clamped to 30 days', async () => {
    const at = (days: number) => new Date(clock.now().getTime() - days * DAY);
    for (const days of [1, 15, 17, 29, 31, 45]) {
      sim.scenario.addMessage({
        sender: `d${days}@contoso.com`,
        recipients: ['r@fabrikam.example'],
        receivedAt: at(days),
        expiresAt: at(-60),
      });
    }
    const senders = (res: { json: { value: { SenderAddress: string }[] } }) =>
      res.json.value.map((r) => r.SenderAddress);
    expect(senders(await get())).toEqual(['d1@contoso.com', 'd15@contoso.com']);
    expect(
      senders(
        await get({ StartReceivedDate: at(60).toISOString(), EndReceivedDate: clock.now().toISOString() }),
      ),
    ).toEqual(['d1@contoso.com', 'd15@contoso.com', 'd17@contoso.com', 'd29@contoso.com']);
    // .NET's seven-digit form and zone-less dates (read as UTC) are accepted.
    expect(
      senders(
        await get({
          StartReceivedDate: '2026-02-14T12:00:00.0000000Z',
          EndReceivedDate: '2026-02-16T00:00:00',
        }),
      ),
    ).toEqual(['d15@contoso.com']);
    const bad = await get({ StartReceivedDate: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.innererror.internalexception.message).toMatch(/System.DateTime/);
  });

  it('GIVEN enum parameters THEN they match by prefix, and a value matching nothing answers the fixture envelope', async () => {
    sim.scenario.addMessage({
      sender: 'a@contoso.com',
      recipients: ['x@fabrikam.example'],
      type: 'TransportRule',
    });
    sim.scenario.addMessage({ sender: 'spam@offers.example', recipients: ['a@contoso.com'], type: 'Spam' });
    sim.scenario.addMessage({ sender: 'p@evil.example', recipients: ['a@contoso.com'], type: 'Phish' });
    const types = async (p: object) =>
      (await get(p)).json.value.map((r: { QuarantineTypes: string }) => r.QuarantineTypes).sort();
    expect(await types({ QuarantineTypes: ['Tr'] })).toEqual(['TransportRule']);
    expect(await types({ QuarantineTypes: ['transportrule', 'spam'] })).toEqual(['Spam', 'TransportRule']);
    expect(await types({ Type: 'Ph' })).toEqual(['Phish']);
    expect(await types({ QuarantineTypes: 'Bulk' })).toEqual([]); // a member with no rows: 200, zero rows
    expect(await types({ ReleaseStatus: ['NotRel'] })).toHaveLength(3);
    expect(await types({ ReleaseStatus: 'Released' })).toEqual([]);
    expect(await types({ Direction: 'Out' })).toEqual(['TransportRule']);

    const res = await get({ QuarantineTypes: ['Nonsense'] });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(invalidEnum);
    const status = await get({ ReleaseStatus: 'Gone' });
    expect(status.status).toBe(400);
    expect(status.json.error.innererror.internalexception.message).toMatch(
      /Specify one of the following enumerator names and try again: NotReleased, Released, Requested, Approved, Denied, PreparingToRelease, Error"$/,
    );
  });

  it('GIVEN an unknown parameter, null Parameters or an unknown cmdlet THEN 400 envelopes', async () => {
    const unknown = await get({ BogusParameter: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual(unknownParameter);
    const nullParameters = await get(null);
    expect(nullParameters.status).toBe(400);
    expect(nullParameters.json.error.message).toBe('Invalid Operation');
    const cmdlet = await invoke(sim, token, 'Get-Mailbox', {});
    expect(cmdlet.status).toBe(400);
    expect(cmdlet.json.error.details[0].message).toMatch(
      /^\|System.Management.Automation.CommandNotFoundException\|The term 'Get-Mailbox'/,
    );
  });

  it('GIVEN EntityType THEN 403 whose body is NUL bytes, like the fixture', async () => {
    const res = await get({ EntityType: 'Email' });
    expect(res.status).toBe(403);
    expect(res.bytes.equals(missingRoleBody)).toBe(true);
  });

  it('GIVEN Identity THEN an exact row, all rows of a NetworkMessageId, or ALL rows when empty or unknown', async () => {
    const a = sim.scenario.addMessage({
      sender: 'a@contoso.com',
      recipients: ['x@fabrikam.example', 'y@fabrikam.example'],
    });
    sim.scenario.addMessage({ sender: 'b@contoso.com', recipients: ['z@fabrikam.example'] });
    expect(
      (await get({ Identity: a.identities[1] })).json.value.map((r: { Identity: string }) => r.Identity),
    ).toEqual([a.identities[1]]);
    expect((await get({ Identity: a.networkMessageId })).json.value).toHaveLength(2);
    expect((await get({ Identity: '' })).json.value).toHaveLength(3);
    expect((await get({ Identity: '99999999-9999-9999-9999-999999999999' })).json.value).toHaveLength(3);
  });

  it('GIVEN SenderAddress and RecipientAddress filters THEN only matching rows', async () => {
    sim.scenario.addMessage({
      sender: 'a@contoso.com',
      recipients: ['x@fabrikam.example', 'y@fabrikam.example'],
    });
    sim.scenario.addMessage({ sender: 'b@contoso.com', recipients: ['y@fabrikam.example'] });
    expect((await get({ SenderAddress: ['A@contoso.com'] })).json.value).toHaveLength(2);
    const toY = (await get({ RecipientAddress: 'y@fabrikam.example' })).json.value;
    expect(toY.map((r: { SenderAddress: string }) => r.SenderAddress).sort()).toEqual([
      'a@contoso.com',
      'b@contoso.com',
    ]);
    expect(
      (await get({ SenderAddress: 'b@contoso.com', RecipientAddress: ['x@fabrikam.example'] })).json.value,
    ).toEqual([]);
  });

  it('GIVEN a release THEN rows stay listed RELEASED until they expire; deleted rows disappear', async () => {
    const m = sim.scenario.addMessage({
      sender: 'a@contoso.com',
      recipients: ['x@fabrikam.example', 'y@fabrikam.example'],
      type: 'Spam',
    });
    const gone = sim.scenario.addMessage({ sender: 'b@contoso.com', recipients: ['z@fabrikam.example'] });
    sim.scenario.release({
      networkMessageId: m.networkMessageId,
      recipients: ['x@fabrikam.example'],
      by: 'adele.vance@contoso.com',
    });
    let rows = (await get({ Identity: m.networkMessageId })).json.value;
    expect(
      rows.map((r: Record<string, unknown>) => [
        r.ReleaseStatus,
        r.Released,
        r.ReleasedUser,
        r.ReleasedBy,
        r.ReleasedCount,
      ]),
    ).toEqual([
      ['RELEASED', true, ['x@fabrikam.example'], ['adele.vance@contoso.com'], 1],
      ['NOTRELEASED', false, [], [], 0],
    ]);
    expect((await get({ ReleaseStatus: 'Released' })).json.value).toHaveLength(1);

    sim.scenario.release({ networkMessageId: m.networkMessageId, by: 'system' });
    rows = (await get({ Identity: m.networkMessageId })).json.value;
    expect(rows[1]).toMatchObject({
      ReleaseStatus: 'RELEASED',
      ReleasedBy: ['System released'],
      SystemReleased: true,
    });
    expect(rows[0].ReleasedBy).toEqual(['adele.vance@contoso.com', 'System released']);

    // Release-QuarantineMessage -User may name someone who was never a recipient (a reviewer's copy):
    // every row lists them, and the audit record names them.
    const toReviewer = sim.scenario.release({
      networkMessageId: m.networkMessageId,
      recipients: ['reviewer@contoso.com'],
    });
    expect(toReviewer.map((r) => (r.auditData as { ReleaseTo?: string }).ReleaseTo)).toEqual([
      'reviewer@contoso.com',
    ]);
    rows = (await get({ Identity: m.networkMessageId })).json.value;
    for (const row of rows) expect(row.ReleasedUser).toContain('reviewer@contoso.com');
    expect(sim.scenario.deleteMessage(gone.networkMessageId)).toBe(1);
    expect((await get()).json.value).toHaveLength(2);

    clock.advance(15 * DAY + HOUR); // spam is kept 15 days
    expect((await get({ StartReceivedDate: '2026-02-01T00:00:00Z' })).json.value).toEqual([]);
  });

  it('GIVEN Get-AcceptedDomain THEN the fixture value', async () => {
    const res = await invoke(sim, token, 'Get-AcceptedDomain', {});
    expect(res.status).toBe(200);
    expect(res.json.value).toEqual(acceptedDomains.value);
    sim.scenario.setAcceptedDomains(['fabrikam.com']);
    expect((await invoke(sim, token, 'Get-AcceptedDomain', {})).json.value).toEqual([
      expect.objectContaining({ DomainName: 'fabrikam.com', Default: true, DomainType: 'Authoritative' }),
    ]);
    sim.scenario.setAcceptedDomains(
      acceptedDomains.value.map((d: Record<string, unknown>) => ({
        domainName: d.DomainName,
        domainType: d.DomainType,
        default: d.Default,
        initial: d.InitialDomain,
        matchSubDomains: d.MatchSubDomains,
      })),
    );
  });

  it('GIVEN missing permissions THEN 401 without Exchange.ManageAsApp, 403 NUL bytes without Security Reader', async () => {
    sim.scenario.setPermissions({ exchangeManageAsApp: false });
    const noRole = await get();
    expect(noRole.status).toBe(401);
    sim.scenario.setPermissions({ exchangeManageAsApp: true, securityReader: false });
    const noDirectoryRole = await get();
    expect(noDirectoryRole.status).toBe(403);
    expect(noDirectoryRole.bytes.every((b) => b === 0)).toBe(true);
    sim.scenario.setPermissions({ securityReader: true });
    expect((await get()).status).toBe(200);
  });

  it('GIVEN requests THEN the log shows cmdlet and parameters', async () => {
    await get({ PageSize: 1000, Page: 1 });
    const [logged] = sim.scenario.requests('exchange');
    expect(logged).toMatchObject({
      service: 'exchange',
      method: 'POST',
      path: `/adminapi/beta/${sim.tenantId}/InvokeCommand`,
      cmdlet: 'Get-QuarantineMessage',
      parameters: { PageSize: 1000, Page: 1 },
      status: 200,
      authorized: true,
    });
  });
});
