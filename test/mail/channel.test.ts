/**
 * The two email channels against the simulator's ACS and Graph, through the real SDK clients over https
 * (run with `npm test`, which sets NODE_EXTRA_CA_CERTS for the simulator's certificate).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { ClientSecretCredential, type TokenCredential } from '@azure/identity';
import type { EmailSettings } from '../../lib/config/settings';
import { createAcsChannel } from '../../lib/mail/acs-channel';
import { createGraphChannel } from '../../lib/mail/graph-channel';
import { createEmailChannel } from '../../lib/mail';
import type { OutgoingEmail } from '../../lib/mail/channel';
import { createGraphClient } from '../../lib/sources/graph-client';
import { startSimulator, type Simulator } from '../../lib/simulator';
import { testCertificate } from '../support/simulator';

let sim: Simulator;
let credential: TokenCredential;
const outboxDir = mkdtempSync(path.join(tmpdir(), 'channel-outbox-'));

beforeAll(async () => {
  const certificate = await testCertificate();
  sim = await startSimulator({ certificate, outboxDir });
  credential = new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
    authorityHost: sim.urls.login,
    disableInstanceDiscovery: true,
  });
});

afterAll(async () => {
  await sim?.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

beforeEach(() => {
  sim.scenario.acs.reset();
  sim.scenario.acs.setLimits({ perMinute: 1000, perHour: 1000 });
  sim.scenario.clearEmails();
  sim.scenario.clearRequests();
  sim.scenario.clearFaults();
  sim.scenario.setPermissions({ mailSend: true });
});

const email = (overrides: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  to: 'megan.bowen@contoso.com',
  toDisplayName: 'Megan Bowen',
  subject: 'Your held message "Q1 price list" was released',
  plainText: 'Hello,\n\nA message you sent was released.',
  html: '<!DOCTYPE html><html><body><p>Hello,</p><p>A message you sent was released.</p></body></html>',
  ...overrides,
});

function emailSettings(acs: EmailSettings['acs'], overrides: Partial<EmailSettings> = {}): EmailSettings {
  return {
    channel: 'acs',
    acs,
    senderAddress: sim.senderAddress,
    senderDisplayName: 'Mail quarantine',
    supportContact: 'helpdesk@contoso.com',
    hideReleaser: false,
    maxPerRun: 5,
    maxAttempts: 5,
    ...overrides,
  };
}

const withKey = () => emailSettings({ kind: 'connectionString', connectionString: sim.acsConnectionString });
const withIdentity = () => emailSettings({ kind: 'endpoint', endpoint: sim.acsEndpoint });

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work;
  return { value, ms: Date.now() - started };
}

describe('ACS Email channel', () => {
  it('GIVEN a connection string WHEN a notification is sent THEN ACS accepts it under our operation id', async () => {
    const channel = createAcsChannel(withKey(), credential);
    const id = randomUUID();
    expect(channel).toMatchObject({ name: 'acs', supportsStatus: true });

    await expect(channel.send(email(), id)).resolves.toEqual({ kind: 'accepted' });

    const [captured, ...others] = sim.scenario.emails();
    expect(others).toHaveLength(0);
    expect(captured).toMatchObject({
      channel: 'acs',
      operationId: id,
      from: sim.senderAddress,
      to: [{ address: 'megan.bowen@contoso.com', displayName: 'Megan Bowen' }],
      replyTo: [{ address: 'helpdesk@contoso.com' }],
      subject: email().subject,
      plainText: email().plainText,
      html: email().html,
    });
    const post = sim.scenario.requests('acs').find((r) => r.method === 'POST');
    expect(post?.body).toMatchObject({ userEngagementTrackingDisabled: true });
  });

  it('GIVEN a recipient that is not a canonical address THEN neither channel sends: a permanent refusal, nothing reaches the service', async () => {
    sim.scenario.clearRequests();
    const channels = [
      createAcsChannel(withKey(), credential),
      createGraphChannel(createGraphClient(sim.urls.graph, credential), 'notifier@contoso.com'),
    ];
    for (const channel of channels) {
      for (const to of [
        '"<ceo@contoso.com>"@evil.example',
        'Megan <megan.bowen@contoso.com>',
        'Megan.Bowen@contoso.com',
      ]) {
        await expect(channel.send(email({ to }), randomUUID())).resolves.toEqual({
          kind: 'failed',
          permanent: true,
          reason: 'recipient address not usable',
        });
      }
    }
    expect(sim.scenario.requests('acs').filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(sim.scenario.requests('graph').filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('GIVEN an accepted id THEN status reports it; GIVEN an id ACS never saw THEN status is unknown', async () => {
    const channel = createAcsChannel(withKey(), credential);
    const id = randomUUID();
    await channel.send(email(), id);

    expect(['accepted', 'succeeded']).toContain(await channel.status(id));
    await expect(channel.status(randomUUID())).resolves.toBe('unknown');
  });

  it('GIVEN ACS accepted a send that later failed THEN status says failed', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.acs.failNext(202);
    const id = randomUUID();
    await expect(channel.send(email(), id)).resolves.toEqual({ kind: 'accepted' });
    await expect(channel.status(id)).resolves.toBe('failed');
  });

  it('GIVEN the send limit is reached THEN the send is throttled with Retry-After, promptly and without retries', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.acs.setLimits({ perMinute: 1 });
    await expect(channel.send(email(), randomUUID())).resolves.toEqual({ kind: 'accepted' });

    const { value, ms } = await timed(channel.send(email(), randomUUID()));

    expect(value).toEqual({ kind: 'throttled', retryAfterSeconds: expect.any(Number) });
    expect((value as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(30);
    expect(ms).toBeLessThan(5000);
    expect(sim.scenario.requests('acs').filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(sim.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN ACS answers 400 THEN the failure is permanent and carries the service message', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.acs.failNext(400);
    const outcome = await channel.send(email(), randomUUID());
    expect(outcome).toEqual({ kind: 'failed', permanent: true, reason: expect.stringContaining('400') });
    expect((outcome as { reason: string }).reason).toContain('Simulated failure (400)');
  });

  it('GIVEN a sender address the ACS domain does not own THEN the failure is permanent and says why', async () => {
    const channel = createAcsChannel({ ...withKey(), senderAddress: 'someone@fabrikam.example' }, credential);
    const outcome = await channel.send(email(), randomUUID());
    expect(outcome).toMatchObject({ kind: 'failed', permanent: true });
    expect((outcome as { reason: string }).reason).toMatch(/DomainNotLinked|not a sender address/);
  });

  it('GIVEN ACS answers 503 THEN the failure is transient and the send is not repeated', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.acs.failNext(503);
    const { value, ms } = await timed(channel.send(email(), randomUUID()));
    expect(value).toMatchObject({ kind: 'failed', permanent: false });
    expect(ms).toBeLessThan(5000);
    expect(sim.scenario.requests('acs').filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('GIVEN ACS never answers THEN the send fails as transient after the timeout', async () => {
    const channel = createAcsChannel(withKey(), credential, { timeoutMs: 1000 });
    sim.scenario.injectFault({ service: 'acs', kind: 'timeout', count: 1, match: 'emails:send' });
    const outcome = await channel.send(email(), randomUUID());
    expect(outcome).toEqual({
      kind: 'failed',
      permanent: false,
      reason: expect.stringContaining('no answer in time'),
    });
  });

  it('GIVEN the send is accepted but the follow-up poll fails THEN the send still counts as accepted', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.injectFault({
      service: 'acs',
      kind: 'server-error',
      count: 1,
      match: '/emails/operations/',
    });
    const id = randomUUID();
    await expect(channel.send(email(), id)).resolves.toEqual({ kind: 'accepted' });
    expect(sim.scenario.emails()).toHaveLength(1);
  });

  it('GIVEN status cannot be read (5xx) THEN status throws rather than guess', async () => {
    const channel = createAcsChannel(withKey(), credential);
    sim.scenario.injectFault({ service: 'acs', kind: 'unavailable', count: 1, match: '/emails/operations/' });
    await expect(channel.status(randomUUID())).rejects.toThrow(/503/);
  });

  it('GIVEN ACS_ENDPOINT and the identity THEN the channel sends with a bearer token', async () => {
    const channel = createAcsChannel(withIdentity(), credential);
    const id = randomUUID();
    await expect(channel.send(email(), id)).resolves.toEqual({ kind: 'accepted' });
    expect(['accepted', 'succeeded']).toContain(await channel.status(id));
    expect(sim.scenario.emails()).toHaveLength(1);
    const post = sim.scenario.requests('acs').find((r) => r.method === 'POST');
    expect(post).toMatchObject({ status: 202, authorized: true });
  });

  it('GIVEN no ACS setting THEN creating the channel says what is missing', () => {
    expect(() => createAcsChannel(emailSettings(undefined), credential)).toThrow(/ACS_ENDPOINT/);
  });
});

describe('Both channels: a notification is marked as sent by a machine', () => {
  it('GIVEN ACS WHEN a notification is sent THEN its .eml carries Auto-Submitted: auto-generated and X-Auto-Response-Suppress: All', async () => {
    await createAcsChannel(withKey(), credential).send(email(), randomUUID());
    const [captured] = sim.scenario.emails();
    const mail = await simpleParser(readFileSync(captured.emlPath!));
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('x-auto-response-suppress')).toBe('All');
  });

  it('GIVEN Graph, which takes only x- headers in JSON (anything else is a 400), WHEN a notification is sent THEN its .eml carries X-Auto-Response-Suppress: All', async () => {
    const graph = createGraphChannel(createGraphClient(sim.urls.graph, credential), 'notices@contoso.com');
    await expect(graph.send(email(), randomUUID())).resolves.toEqual({ kind: 'accepted' });
    const [captured] = sim.scenario.emails();
    const mail = await simpleParser(readFileSync(captured.emlPath!));
    expect(mail.headers.get('x-auto-response-suppress')).toBe('All');
    expect(mail.headers.has('auto-submitted')).toBe(false);
  });
});

describe('Graph sendMail channel', () => {
  const mailbox = 'quarantine-notices@contoso.com';
  const graphChannel = () => createGraphChannel(createGraphClient(sim.urls.graph, credential), mailbox);

  it('GIVEN Mail.Send WHEN a notification is sent THEN Graph takes it as HTML, not saved to Sent Items', async () => {
    const channel = graphChannel();
    expect(channel).toMatchObject({ name: 'graph', supportsStatus: false });
    await expect(channel.send(email(), randomUUID())).resolves.toEqual({ kind: 'accepted' });

    const [captured, ...others] = sim.scenario.emails();
    expect(others).toHaveLength(0);
    expect(captured).toMatchObject({
      channel: 'graph',
      from: mailbox,
      to: [{ address: 'megan.bowen@contoso.com' }],
      subject: email().subject,
      html: email().html,
    });
    const post = sim.scenario.requests('graph').find((r) => r.method === 'POST');
    expect(post).toMatchObject({ path: `/v1.0/users/${mailbox}/sendMail`, authorized: true });
    expect(post?.body).toMatchObject({ saveToSentItems: false, message: { body: { contentType: 'HTML' } } });
  });

  it('GIVEN any operation id THEN status is unknown: Graph cannot tell', async () => {
    await expect(graphChannel().status(randomUUID())).resolves.toBe('unknown');
  });

  it('GIVEN the app lacks Mail.Send THEN the failure is permanent and names the permission', async () => {
    sim.scenario.setPermissions({ mailSend: false });
    const outcome = await graphChannel().send(email(), randomUUID());
    expect(outcome).toMatchObject({ kind: 'failed', permanent: true });
    expect((outcome as { reason: string }).reason).toMatch(/403.*ErrorAccessDenied.*Mail\.Send/);
  });

  it('GIVEN Graph throttles THEN the send is throttled with Retry-After, promptly and without retries', async () => {
    sim.scenario.injectFault({
      service: 'graph',
      kind: 'throttle',
      retryAfterSeconds: 120,
      count: 3,
      match: 'sendMail',
    });
    const { value, ms } = await timed(graphChannel().send(email(), randomUUID()));
    expect(value).toEqual({ kind: 'throttled', retryAfterSeconds: 120 });
    expect(ms).toBeLessThan(5000);
    expect(sim.scenario.requests('graph').filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('GIVEN Graph answers 503 THEN the failure is transient and the POST is not repeated', async () => {
    sim.scenario.injectFault({ service: 'graph', kind: 'unavailable', count: 3, match: 'sendMail' });
    const outcome = await graphChannel().send(email(), randomUUID());
    expect(outcome).toMatchObject({ kind: 'failed', permanent: false });
    expect(sim.scenario.requests('graph').filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(sim.scenario.emails()).toHaveLength(0);
  });

  it('GIVEN a mailbox that does not exist THEN the failure is permanent and names the setting', async () => {
    const channel = createGraphChannel(
      createGraphClient(sim.urls.graph, credential),
      'nobody@fabrikam.example',
    );
    const outcome = await channel.send(email(), randomUUID());
    expect(outcome).toMatchObject({ kind: 'failed', permanent: true });
    expect((outcome as { reason: string }).reason).toContain('EMAIL_SENDER_ADDRESS');
  });
});

describe('choosing the channel', () => {
  it('GIVEN EMAIL_CHANNEL THEN the matching channel is built', () => {
    const graph = createGraphClient(sim.urls.graph, credential);
    expect(createEmailChannel(withKey(), { credential, graph }).name).toBe('acs');
    expect(createEmailChannel({ ...withKey(), channel: 'graph' }, { credential, graph }).name).toBe('graph');
    expect(() => createEmailChannel({ ...withKey(), channel: 'graph' }, { credential })).toThrow(
      /Graph client/,
    );
  });
});
