import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { dedupeSlackDeliveries } from '../../../../src/adapters/slack/listeners/dedupeDeliveries.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/openDatabase.ts';
import { sqliteStore } from '../../../../src/adapters/sqlite/sqliteStore.ts';
import { eventually } from '../../../support/eventually.ts';
import { FakeClock } from '../../../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../../../src/sandbox/slackStandIn.ts';

let slack: SlackStandIn | undefined;
let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  await slack?.close();
});

describe('dedupeSlackDeliveries', () => {
  it('hands an event and its retries to the listeners once', async () => {
    slack = await startSlackStandIn({ signingSecret: 'secret', users: ['U0ALICE'], socketMode: false });
    app = new App({ token: slack.botToken, signingSecret: 'secret', clientOptions: { slackApiUrl: slack.apiUrl } });
    dedupeSlackDeliveries(app, { uow: sqliteStore(openDatabase(':memory:')).uow, clock: new FakeClock() });
    const seen: number[] = [];
    app.event('app_home_opened', async ({ context }) => {
      seen.push(context.retryNum ?? 0);
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as unknown as { address(): AddressInfo };
    slack.setRequestUrl(`http://127.0.0.1:${server.address().port}/slack/events`);

    const first = await slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
    await first.retry?.({ retryNum: 1, retryReason: 'http_timeout' });
    await slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
    await eventually(() => seen.length === 2);
    expect(seen).toEqual([0, 0]);
  });
});
