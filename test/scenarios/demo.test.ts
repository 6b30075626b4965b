import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../../lib/config/settings';
import { MINUTE } from '../../lib/core/clock';
import { createHealthHandler } from '../../lib/entrypoints/http';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { startWorld, type World } from '../support/world';
import { NO_PERMISSIONS, qrn } from '../support/cli';

/**
 * The administrator's commands against the demo scenario (`npm start`'s tenant), as the README shows them.
 * With QRN_DEMO_OUT=<file> the transcript is written there (npm test -- test/scenarios/demo).
 */
describe('the administrator’s surface on the demo tenant', () => {
  let world: World;
  afterAll(async () => world?.close());

  it('GIVEN the demo scenario after one snapshot and one notify run THEN every command answers', async () => {
    world = await startWorld({ seed: 'demo' });
    // The demo runs against the least convenient service: Exchange cuts pages at three rows whatever Prefer
    // asks and refuses every nextLink, an empty answer has no `value`, the list hides ReleasedUser, ACS
    // answers a reused Operation-Id with the earlier operation.
    expect(world.simulator.scenario.exchangeQuirks()).toMatchObject({
      cutPagesAt: 3,
      refuseNextLinks: true,
      emptyValue: 'absent',
      listHidesReleaseFields: true,
    });
    expect(world.simulator.scenario.acs.quirks()).toMatchObject({ reusedIdAnswersEarlier: true });
    const firstSnapshot = await world.app.runSnapshot();
    expect(firstSnapshot).toMatchObject({ outcome: 'completed', paging: { linksRefused: 1, pageSize: 3 } });
    await world.app.runNotify();
    world.clock.advance(5 * MINUTE);

    const transcript: string[] = [];
    const run = async (argv: string[], expected: number) => {
      const out = await qrn(world, argv);
      transcript.push(`$ qrn ${argv.join(' ')}\n${out.stdout}${out.stderr}(exit ${out.code})\n`);
      expect(out.code).toBe(expected);
      return out;
    };

    await run(['report'], 0);
    await run(['report', '--format', 'csv', '--since', '24h'], 0);
    await run(['report', '--format', 'json', '--status', 'notified'], 0);
    await run(['report', '--since', 'yesterday'], 2);
    await run(['doctor'], 0);
    world.simulator.scenario.setPermissions({ securityReader: false });
    await run(['doctor'], 1);
    world.simulator.scenario.setPermissions(NO_PERMISSIONS);
    const principal = world.simulator.appPrincipalId;
    await run(['permissions', '--principal-id', principal, '--what-if'], 0);
    await run(['permissions', '--principal-id', principal], 0);
    await run(['permissions', '--principal-id', principal], 0);
    await run(['doctor'], 0);

    const health = await createHealthHandler({
      settings: () => loadSettings(world.env()),
      application: async () => world.app,
      clock: world.clock,
    })(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
      new InvocationContext({ logHandler: () => undefined }),
    );
    transcript.push(`GET /api/health -> ${health.status}\n${JSON.stringify(health.jsonBody, null, 2)}\n`);
    expect(health.status).toBe(200);

    const file = process.env.QRN_DEMO_OUT;
    if (file) {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      writeFileSync(file, transcript.join('\n'));
    }
  });
});
