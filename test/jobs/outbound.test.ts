import { decideOutbound, senderInScope, type TenantDomains } from '../../lib/jobs/outbound';
import { mapQuarantineRow } from '../../lib/sources/exchange/quarantine';
import type { QuarantinedMessage } from '../../lib/core/domain';
import { fixtureJson } from '../support/fixtures';

const fixture = fixtureJson('exchange/get-quarantinemessage.page.json') as { value: unknown[] };

/** The fixture tenant's accepted domains (get-accepteddomain.json): eu.contoso.com matches subdomains. */
const contoso: TenantDomains = {
  isAccepted: (address) => {
    const domain = address.toLowerCase().split('@').pop() ?? '';
    return (
      domain === 'contoso.com' ||
      domain === 'contoso.onmicrosoft.com' ||
      domain === 'eu.contoso.com' ||
      domain.endsWith('.eu.contoso.com')
    );
  },
};

function messages(): Map<string, QuarantinedMessage[]> {
  const byId = new Map<string, QuarantinedMessage[]>();
  for (const raw of fixture.value) {
    const mapped = mapQuarantineRow(raw);
    if (!('message' in mapped)) throw new Error('fixture row did not map');
    const list = byId.get(mapped.message.networkMessageId) ?? [];
    list.push(mapped.message);
    byId.set(mapped.message.networkMessageId, list);
  }
  return byId;
}

describe('the outbound decision, over every row of the Exchange fixture', () => {
  const byId = messages();
  const decide = (id: string) => decideOutbound(byId.get(id)!, contoso);

  it('rows 1-2: the transport-rule message to two external recipients is outbound', () => {
    expect(byId.get('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d')).toHaveLength(2);
    expect(decide('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d')).toEqual({ outbound: true });
  });

  it('row 3: the DLP message is outbound', () => {
    expect(decide('7c1d2e3f-4a5b-4c6d-8e7f-08de0a1b4e5f')).toEqual({ outbound: true });
  });

  it('row 4: inbound spam from an outside sender is not', () => {
    expect(decide('a1b2c3d4-e5f6-4a7b-8c9d-08de0a1b6a7b')).toEqual({
      outbound: false,
      reason: 'sender-outside',
    });
  });

  it('row 5: the field oddity (no sender, reported Outbound) is not', () => {
    expect(decide('2a008698-201e-497f-3dee-08dad2e835e2')).toEqual({ outbound: false, reason: 'no-sender' });
  });

  it('row 6: inbound phish spoofing an internal sender is not, although the sender looks internal', () => {
    expect(decide('b9c8d7e6-f5a4-4b3c-9d2e-08de0a1b8c9d')).toEqual({ outbound: false, reason: 'inbound' });
  });

  it('Direction Outbound decides only with an internal sender AND an external recipient', () => {
    const base = byId.get('b9c8d7e6-f5a4-4b3c-9d2e-08de0a1b8c9d')![0];
    const outboundPhish = { ...base, direction: 'Outbound', recipients: ['victim@fabrikam.example'] };
    expect(decideOutbound([outboundPhish], contoso)).toEqual({ outbound: true });
    const internalOnly = { ...base, direction: 'Outbound', recipients: ['finance@contoso.com'] };
    expect(decideOutbound([internalOnly], contoso)).toEqual({ outbound: false, reason: 'inbound' });
    const subdomain = {
      ...base,
      senderAddress: 'ops@paris.eu.contoso.com',
      direction: 'Outbound',
      recipients: ['x@fabrikam.example'],
    };
    expect(decideOutbound([subdomain], contoso)).toEqual({ outbound: true });
  });

  it('GIVEN a quoted local part hiding an internal address THEN the sender address is not usable, never outbound', () => {
    const base = byId.get('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d')![0];
    for (const senderAddress of [
      '"<ceo@contoso.com>"@evil.example',
      'Megan <megan@contoso.com>',
      'ceo@contoso.com\u202e',
    ]) {
      expect(decideOutbound([{ ...base, senderAddress }], contoso)).toEqual({
        outbound: false,
        reason: 'sender-unusable',
      });
    }
  });

  it('GIVEN Direction Inbound THEN it is never outbound, even when a mail flow rule or DLP held it', () => {
    const base = byId.get('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d')![0];
    for (const held of [
      { type: 'TransportRule', policyType: 'ExchangeTransportRule' },
      { type: 'DataLossPrevention', policyType: 'DataLossPreventionRule' },
    ]) {
      const spoofed = { ...base, ...held, direction: 'Inbound', senderAddress: 'payroll@contoso.com' };
      expect(decideOutbound([spoofed], contoso)).toEqual({ outbound: false, reason: 'inbound' });
      expect(decideOutbound([{ ...spoofed, direction: 'Outbound' }], contoso)).toEqual({ outbound: true });
    }
  });

  it('GIVEN a rule or DLP hold whose Direction is not exactly Inbound or Outbound THEN it is never outbound: direction-unknown', () => {
    const base = byId.get('3f2a9c1e-7b4d-4e8a-1c2d-08de0a1b2c3d')![0];
    for (const held of [
      { type: 'TransportRule', policyType: 'ExchangeTransportRule' },
      { type: 'DataLossPrevention', policyType: 'DataLossPreventionRule' },
    ]) {
      for (const direction of [
        undefined,
        '',
        'Inbound\u200b',
        'inbound',
        'OUTBOUND',
        'Unknown',
        'Out bound',
      ]) {
        const row = { ...base, ...held, direction };
        expect({ direction, decision: decideOutbound([row], contoso) }).toEqual({
          direction,
          decision: { outbound: false, reason: 'direction-unknown' },
        });
        // One odd row among good ones is enough.
        expect(decideOutbound([{ ...base, ...held }, row], contoso)).toEqual({
          outbound: false,
          reason: 'direction-unknown',
        });
      }
    }
  });

  it('a pilot allow-list matches addresses exactly and domains with their subdomains', () => {
    expect(senderInScope('Megan.Bowen@contoso.com', undefined)).toBe(true);
    expect(senderInScope('megan.bowen@contoso.com', ['megan.bowen@contoso.com'])).toBe(true);
    expect(senderInScope('alex.wilber@contoso.com', ['megan.bowen@contoso.com'])).toBe(false);
    expect(senderInScope('ops@eu.contoso.com', ['contoso.com'])).toBe(true);
    expect(senderInScope('ops@notcontoso.com', ['contoso.com'])).toBe(false);
    expect(senderInScope('"x"@contoso.com', ['contoso.com'])).toBe(false); // unusable: never in scope
    expect(senderInScope('Megan.Bowen@CONTOSO.com', ['MEGAN.bowen@contoso.com'])).toBe(true);
  });
});
