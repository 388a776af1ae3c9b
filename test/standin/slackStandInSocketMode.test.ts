import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

const signingSecret = 'standin-signing-secret';

describe('Slack stand-in with a Bolt Socket Mode app', () => {
  let slack: SlackStandIn;
  let app: App | undefined;

  beforeEach(async () => {
    slack = await startSlackStandIn({ signingSecret, users: ['U0ALICE'] });
    app = undefined;
  });

  afterEach(async () => {
    // Stop the app first: its close handshake needs the stand-in still up.
    await app?.stop();
    await slack.close();
  });

  it('connects through apps.connections.open (App clientOptions reach the SocketModeReceiver) and returns the ack payload', async () => {
    const events: unknown[] = [];
    app = new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      // App copies clientOptions into installerOptions.clientOptions, which SocketModeReceiver gives
      // its SocketModeClient, so apps.connections.open goes to the stand-in too.
      clientOptions: { slackApiUrl: slack.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    app.command('/away', async ({ command, ack }) => {
      await ack({ response_type: 'ephemeral', text: `Away for ${command.text}` });
    });
    app.event('app_home_opened', async ({ event, context }) => {
      events.push({ user: event.user, retryNum: context.retryNum, retryReason: context.retryReason });
    });

    await app.start();
    await slack.waitForSocketConnection();
    const reply = await slack.slashCommand({ command: '/away', text: '2h', userId: 'U0ALICE' });
    const delivery = await slack.event({ type: 'app_home_opened', user: 'U0ALICE' }, { retryNum: 2, retryReason: 'http_error' });

    const open = slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ token: 'xapp-test', ok: true });
    expect(reply).toMatchObject({ transport: 'socket', status: 200, body: { response_type: 'ephemeral', text: 'Away for 2h' } });
    expect(reply.envelopeId).toEqual(expect.any(String));
    expect(slack.ephemerals('U0ALICE').map((m) => m.text)).toEqual(['Away for 2h']);
    expect(delivery.transport).toBe('socket');
    expect(delivery.body).toBeUndefined();
    expect(events).toEqual([{ user: 'U0ALICE', retryNum: 2, retryReason: 'http_error' }]);

    const hello = slack.socketLog.find((f) => f.direction === 'to_app' && f.message.type === 'hello');
    expect(hello?.message).toMatchObject({ num_connections: 1, connection_info: { app_id: 'A0LEADRELAY' } });
    const envelope = slack.socketLog.find((f) => f.direction === 'to_app' && f.message.type === 'slash_commands');
    expect(envelope?.message).toMatchObject({ accepts_response_payload: true, payload: { command: '/away', text: '2h' } });
  });

  it('makes the app reconnect through apps.connections.open after a disconnect message', async () => {
    // The reconnect waits clientPingTimeout (default 5 s) before asking for a new URL; only a
    // receiver built by hand can shorten it, and then clientOptions go through installerOptions.
    const receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      clientPingTimeout: 1000,
      installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
      logLevel: LogLevel.ERROR,
    });
    app = new App({ token: slack.botToken, receiver, clientOptions: { slackApiUrl: slack.apiUrl }, logLevel: LogLevel.ERROR });
    app.command('/away', async ({ ack }) => ack({ text: 'still here' }));

    await app.start();
    await slack.waitForSocketConnection();
    await slack.disconnectSocket('refresh_requested');
    expect(slack.socketConnections).toBe(0);
    await slack.waitForSocketConnection({ minOpened: 2 });
    const reply = await slack.slashCommand({ command: '/away', userId: 'U0ALICE' });

    expect(slack.callsTo('apps.connections.open')).toHaveLength(2);
    expect(slack.socketConnectionsOpened).toBe(2);
    expect(reply.body).toEqual({ text: 'still here' });
  });

  it('refuses a Socket Mode URL that was not minted by apps.connections.open', async () => {
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`${slack.baseUrl.replace('http', 'ws')}/socket?ticket=forged`);
    const outcome = await new Promise<string>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(`status ${res.statusCode}`));
      socket.on('open', () => resolve('open'));
      socket.on('error', (error) => resolve(`error ${error.message}`));
    });
    socket.terminate();

    expect(outcome).toBe('status 401');
    expect(slack.socketConnectionsOpened).toBe(0);
  });
});
