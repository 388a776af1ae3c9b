import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

const signingSecret = 'standin-signing-secret';

/** A real Bolt app with the default HTTPReceiver, bound to an ephemeral port on 127.0.0.1. */
async function startBoltApp(slack: SlackStandIn, register: (app: App) => void): Promise<App> {
  const app = new App({
    token: slack.botToken,
    signingSecret,
    clientOptions: { slackApiUrl: slack.apiUrl },
    logLevel: LogLevel.ERROR,
  });
  register(app);
  // HTTPReceiver.start resolves with its http.Server, so the bound port can be read back.
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  slack.setRequestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  return app;
}

const claimCard = (ref: string) => [
  { type: 'section', block_id: 'lead', text: { type: 'mrkdwn', text: `*Jane Doe* (${ref}) wants 300 seats` } },
  {
    type: 'actions',
    block_id: 'offer_actions',
    elements: [
      { type: 'button', action_id: 'claim_lead', style: 'primary', text: { type: 'plain_text', text: 'Claim' }, value: ref },
      { type: 'button', action_id: 'pass_lead', text: { type: 'plain_text', text: 'Pass' }, value: ref },
    ],
  },
];

describe('Slack stand-in with a Bolt HTTPReceiver app', () => {
  let slack: SlackStandIn;
  let app: App | undefined;

  beforeEach(async () => {
    slack = await startSlackStandIn({
      signingSecret,
      users: [{ id: 'U0ALICE', realName: 'Alice Example', tz: 'Europe/Berlin' }, 'U0BOB'],
    });
    app = undefined;
  });

  afterEach(async () => {
    await app?.stop();
    await slack.close();
  });

  it('delivers a signed slash command and returns the ack body, response_url posts and Web API calls', async () => {
    const seen: Record<string, unknown>[] = [];
    app = await startBoltApp(slack, (bolt) => {
      bolt.command('/away', async ({ command, ack, respond, client }) => {
        seen.push({ ...command });
        await ack({ response_type: 'ephemeral', text: `Away for ${command.text}` });
        await respond({ response_type: 'ephemeral', text: 'Your pending offers moved to the next rep.' });
        await client.chat.postMessage({
          channel: command.user_id,
          text: 'You are away',
          metadata: { event_type: 'rep_away', event_payload: { rep: command.user_id } },
        });
      });
    });

    const reply = await slack.slashCommand({ command: '/away', text: '2h', userId: 'U0ALICE' });

    expect(reply.transport).toBe('http');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ response_type: 'ephemeral', text: 'Away for 2h' });
    const posted = await reply.responses.waitFor();
    expect(posted.body).toMatchObject({ text: 'Your pending offers moved to the next rep.' });
    const call = await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'U0ALICE');
    expect(call.token).toBe('xoxb-test');
    expect(call.args.metadata).toEqual({ event_type: 'rep_away', event_payload: { rep: 'U0ALICE' } });
    expect(call.response).toMatchObject({ ok: true, channel: 'D0ALICE' });
    expect(call.response.ts).toMatch(/^\d{10}\.\d{6}$/);

    expect(seen[0]).toMatchObject({
      command: '/away',
      text: '2h',
      user_id: 'U0ALICE',
      user_name: 'alice',
      team_id: 'T0TEAM',
      team_domain: 'leadrelay-test',
      channel_id: 'D0ALICE',
      channel_name: 'directmessage',
      api_app_id: 'A0LEADRELAY',
      is_enterprise_install: 'false',
      response_url: reply.responses.url,
    });
    expect(String(seen[0]?.trigger_id)).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    // What Alice sees in her DM: the ack and the respond() post (both ephemeral) and the bot's message.
    expect(slack.messages('U0ALICE').map((m) => [m.kind, m.via, m.text])).toEqual([
      ['ephemeral', 'ack', 'Away for 2h'],
      ['ephemeral', 'response_url', 'Your pending offers moved to the next rep.'],
      ['message', 'api', 'You are away'],
    ]);
  });

  it('is rejected by Bolt with 401 when the signature is wrong, and no listener runs', async () => {
    let ran = false;
    app = await startBoltApp(slack, (bolt) => {
      bolt.command('/away', async ({ ack }) => {
        ran = true;
        await ack();
      });
    });

    const reply = await slack.slashCommand({ command: '/away', userId: 'U0ALICE' }, { signingSecret: 'not-the-secret' });

    expect(reply.status).toBe(401);
    expect(ran).toBe(false);
  });

  it('signs with its clock, so a fake clock far from real time makes Bolt reject the request as stale', async () => {
    await slack.close();
    slack = await startSlackStandIn({ signingSecret, users: ['U0ALICE'], clock: new FakeClock('2020-01-01T00:00:00Z') });
    app = await startBoltApp(slack, (bolt) => bolt.command('/away', async ({ ack }) => ack()));

    const stale = await slack.slashCommand({ command: '/away', userId: 'U0ALICE' });
    const fresh = await slack.slashCommand({ command: '/away', userId: 'U0ALICE' }, { timestamp: Math.floor(Date.now() / 1000) });

    expect(stale.status).toBe(401);
    expect(fresh.status).toBe(200);
  });

  it('delivers a block action on the message the bot posted, and shows chat.update in place', async () => {
    const actions: Record<string, unknown>[] = [];
    app = await startBoltApp(slack, (bolt) => {
      bolt.action('claim_lead', async ({ ack, body, action, client, respond }) => {
        await ack();
        actions.push({ body, action });
        if (body.type !== 'block_actions' || body.message === undefined || body.channel === undefined) return;
        const stillOffered = (body.message.blocks as { type: string }[]).some((b) => b.type === 'actions');
        if (!stillOffered) {
          await respond({ response_type: 'ephemeral', text: 'L-17 is already claimed by you.' });
          return;
        }
        await client.chat.update({
          channel: body.channel.id,
          ts: body.message.ts,
          text: 'Claimed by you in 1m 12s',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Claimed by you in 1m 12s' } }],
        });
      });
    });
    const card = await app.client.chat.postMessage({ channel: 'U0ALICE', text: 'New lead L-17', blocks: claimCard('L-17') });

    const reply = await slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: 'U0ALICE', ts: String(card.ts) } });
    await slack.waitForCall('chat.update');

    expect(reply.status).toBe(200);
    expect(actions[0]?.action).toMatchObject({ action_id: 'claim_lead', block_id: 'offer_actions', type: 'button', value: 'L-17', style: 'primary' });
    expect(actions[0]?.body).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEAM' },
      container: { type: 'message', message_ts: card.ts, channel_id: 'D0ALICE', is_ephemeral: false },
      channel: { id: 'D0ALICE' },
      message: { ts: card.ts, text: 'New lead L-17' },
      response_url: reply.responses.url,
    });
    const message = slack.message('U0ALICE', String(card.ts));
    expect(message?.text).toBe('Claimed by you in 1m 12s');
    expect(message?.versions).toHaveLength(1);
    expect(slack.messages('U0ALICE')).toHaveLength(1);

    // The claim button is gone: the kit refuses to click it, unless the test models a stale copy.
    await expect(
      slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: 'U0ALICE', ts: String(card.ts) } }),
    ).rejects.toThrow(/no element with action_id 'claim_lead'/);
    const stale = await slack.blockAction({
      userId: 'U0ALICE',
      actionId: 'claim_lead',
      value: 'L-17',
      requireElement: false,
      message: { channel: 'U0ALICE', ts: String(card.ts) },
    });
    await stale.responses.waitFor();
    expect(slack.ephemerals('U0ALICE').map((m) => m.text)).toEqual(['L-17 is already claimed by you.']);
  });

  it('delivers events with retry headers to listeners (Bolt 5 does not drop retries), and App Home actions', async () => {
    const deliveries: { eventId: unknown; retryNum: unknown; retryReason: unknown }[] = [];
    const toggles: Record<string, unknown>[] = [];
    app = await startBoltApp(slack, (bolt) => {
      bolt.event('app_home_opened', async ({ event, body, context, client }) => {
        deliveries.push({ eventId: body.event_id, retryNum: context.retryNum, retryReason: context.retryReason });
        await client.views.publish({
          user_id: event.user,
          view: {
            type: 'home',
            blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'toggle_away', text: { type: 'plain_text', text: 'Go away' } }] }],
          },
        });
      });
      bolt.action('toggle_away', async ({ ack, body }) => {
        await ack();
        toggles.push(body as unknown as Record<string, unknown>);
      });
    });

    const first = await slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
    await slack.waitForCall('views.publish');
    const retried = await first.retry({ retryNum: 1, retryReason: 'http_timeout' });
    await slack.waitForCalls('views.publish', 2);

    expect(first.status).toBe(200);
    expect(retried.status).toBe(200);
    expect(first.sent).toMatchObject({ type: 'event_callback', team_id: 'T0TEAM', api_app_id: 'A0LEADRELAY', event: { channel: 'D0ALICE' } });
    expect(deliveries).toEqual([
      { eventId: first.eventId, retryNum: undefined, retryReason: undefined },
      { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' },
    ]);

    const home = slack.homeView('U0ALICE');
    expect(home?.type).toBe('home');
    await slack.blockAction({ userId: 'U0ALICE', actionId: 'toggle_away', view: 'home' });
    expect(toggles[0]).toMatchObject({ container: { type: 'view', view_id: home?.id }, view: { id: home?.id, type: 'home' } });
    expect(toggles[0]).not.toHaveProperty('response_url');
  });

  it('opens a modal from a trigger_id and delivers its view_submission', async () => {
    const submitted: unknown[] = [];
    app = await startBoltApp(slack, (bolt) => {
      bolt.command('/reassign', async ({ ack, command, client }) => {
        await ack();
        await client.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'reassign',
            private_metadata: 'L-17',
            title: { type: 'plain_text', text: 'Reassign L-17' },
            submit: { type: 'plain_text', text: 'Reassign' },
            blocks: [{ type: 'input', block_id: 'rep', label: { type: 'plain_text', text: 'New owner' }, element: { type: 'users_select', action_id: 'user' } }],
          },
        });
      });
      bolt.view('reassign', async ({ ack, view }) => {
        submitted.push({ metadata: view.private_metadata, values: view.state.values });
        await ack();
      });
    });

    await slack.slashCommand({ command: '/reassign', text: 'L-17', userId: 'U0ALICE' });
    const opened = await slack.waitForCall('views.open');
    expect(opened.ok).toBe(true);
    expect(slack.modals('U0ALICE')).toHaveLength(1);

    const reply = await slack.viewSubmission({
      userId: 'U0ALICE',
      callbackId: 'reassign',
      values: { rep: { user: { type: 'users_select', selected_user: 'U0BOB' } } },
    });

    expect(reply.status).toBe(200);
    expect(submitted).toEqual([{ metadata: 'L-17', values: { rep: { user: { type: 'users_select', selected_user: 'U0BOB' } } } }]);
    expect(slack.modals('U0ALICE')).toHaveLength(0);
  });
});
