import type { AccessToken, TokenCredential } from '@azure/identity';
import {
  createGraphClient,
  reusedToken,
  TOKEN_REFRESH_BEFORE_EXPIRY_MS,
} from '../../lib/sources/graph-client';
import { credentialFor, startTestSimulator } from '../support/simulator';
import type { Simulator } from '../../lib/simulator';

const HOUR = 60 * 60_000;

/** A credential whose answers the test scripts, counting every request for a token. */
function scriptedCredential(answers: (() => Promise<AccessToken | null>)[]) {
  const asked: string[] = [];
  const credential: TokenCredential = {
    getToken: async (scope) => {
      asked.push(String(scope));
      const next = answers.shift();
      if (!next) throw new Error('the test gave no more answers');
      return next();
    },
  };
  return { credential, asked };
}

const token = (value: string, expiresOnTimestamp: number, refreshAfterTimestamp?: number): AccessToken => ({
  token: value,
  expiresOnTimestamp,
  ...(refreshAfterTimestamp ? { refreshAfterTimestamp } : {}),
});

describe("Graph's token, reused", () => {
  test('GIVEN twenty requests at once and ten more later THEN the credential is asked once, for the scope given', async () => {
    let now = 0;
    const { credential, asked } = scriptedCredential([async () => token('t1', now + HOUR)]);
    const get = reusedToken(credential, 'https://graph.example/.default', () => now);
    expect(await Promise.all(Array.from({ length: 20 }, get))).toEqual(Array(20).fill('t1'));
    now += 30 * 60_000;
    for (let i = 0; i < 10; i++) expect(await get()).toBe('t1');
    expect(asked).toEqual(['https://graph.example/.default']);
  });

  test('GIVEN a token within five minutes of expiry THEN a new one is asked for; GIVEN a refresh time THEN it is asked for from then', async () => {
    let now = 0;
    const { credential, asked } = scriptedCredential([
      async () => token('t1', HOUR),
      async () => token('t2', 2 * HOUR, HOUR + 10 * 60_000),
      async () => token('t3', 3 * HOUR),
    ]);
    const get = reusedToken(credential, 'scope', () => now);
    expect(await get()).toBe('t1');
    now = HOUR - TOKEN_REFRESH_BEFORE_EXPIRY_MS - 1;
    expect(await get()).toBe('t1');
    now = HOUR - TOKEN_REFRESH_BEFORE_EXPIRY_MS;
    expect(await get()).toBe('t2');
    now = HOUR + 10 * 60_000 - 1; // before t2's refresh time, far from its expiry
    expect(await get()).toBe('t2');
    now = HOUR + 10 * 60_000;
    expect(await get()).toBe('t3');
    expect(asked).toHaveLength(3);
  });

  test('GIVEN the credential failing, or answering nothing THEN every caller at that moment hears it, and the next call asks again', async () => {
    const { credential, asked } = scriptedCredential([
      async () => {
        throw new Error('AADSTS7000215: Invalid client secret provided.');
      },
      async () => null,
      async () => token('t1', Date.now() + HOUR),
    ]);
    const get = reusedToken(credential, 'scope');
    const [first, second] = await Promise.allSettled([get(), get()]);
    expect(first).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('AADSTS7000215') },
    });
    expect(second).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('AADSTS7000215') },
    });
    await expect(get()).rejects.toThrow('No token for scope');
    expect(await get()).toBe('t1');
    expect(asked).toHaveLength(3);
  });

  describe('through the Graph client', () => {
    let sim: Simulator;
    beforeAll(async () => {
      sim = await startTestSimulator();
    });
    afterAll(() => sim.close());

    test('GIVEN 12 mailbox settings read, 4 at once THEN all are answered with one token request', async () => {
      const real = credentialFor(sim);
      let asked = 0;
      const counting: TokenCredential = {
        getToken: (scope, options) => ((asked += 1), real.getToken(scope, options)),
      };
      const graph = createGraphClient(sim.urls.graph, counting);
      const users = [
        'johanna.lorenz@contoso.com',
        'megan.bowen@contoso.com',
        'rania.haddad@contoso.com',
        'pradeep.gupta@contoso.com',
      ];
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          users.map((u) => graph.api(`/users/${encodeURIComponent(u)}/mailboxSettings`).get()),
        );
        expect(answers).toHaveLength(4);
        for (const answer of answers) expect(answer).toHaveProperty('timeZone');
      }
      expect(asked).toBe(1);
    });
  });
});
