import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeEachStore, startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import type { SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

useHarnessCleanup();

/** The bot on the example config, in the given mode; `beforeStart` sets up Slack faults. */
async function start(store: StoreKind, mode: 'http' | 'socket', beforeStart?: (slack: SlackStandIn) => void) {
  return startHarness({ store, mode, users: ['U0ALICE', 'U0MGR', 'U0STRANGER'], ...(beforeStart ? { beforeStart } : {}) });
}

describeEachStore('the Bolt app in both Slack modes', (store) => {
  describe.each(['http', 'socket'] as const)('the Bolt app in %s mode, through the Slack stand-in', (mode) => {
    it('takes a lead on /leads and shows it to a rep who asks with /leads L-1', async () => {
      const { slack, sendLead } = await start(store, mode);
      const response = await sendLead({ email: 'jane.doe@acme.com', name: 'Jane Doe', source: 'form', score: 87, company: { name: 'Acme' } });
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ lead: 'L-1', status: 'accepted' });

      const reply = await slack.slashCommand({ command: '/leads', text: 'L-1', userId: 'U0ALICE' });
      expect(reply.transport).toBe(mode);
      const body = reply.body as { response_type: string; text: string; blocks: { type: string; text?: { text: string } }[] };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toContain('L-1');
      expect(body.blocks[0]).toMatchObject({ type: 'header', text: { text: 'L-1 · Jane Doe' } });
      expect(JSON.stringify(body.blocks)).toContain('received');
    });

    it('handles a card click, /away, /reassign, /owner and the App Home over this transport', async () => {
      const t = await startHarness({ store, mode, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN', 'U0ERIN', 'U0FRANK', 'U0MGR'] });
      const id = await t.postLead({ email: 'jane@globex.com', score: 50 });
      const rep = (await t.pendingRep(id));
      expect(rep).toBe('U0BOB'); // globex.com's account owner in the example config
      const card = t.slack.lastMessage('U0BOB')!;
      const click = await t.slack.blockAction({ userId: 'U0BOB', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      expect(click.transport).toBe(mode);
      await t.slack.waitUntil(async () => (await t.lead(id)).state === 'claimed');
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0BOB' });

      const away = await t.slack.slashCommand({ command: '/away', text: '2h', userId: 'U0ALICE' });
      expect(away.transport).toBe(mode);
      expect((away.body as { text: string }).text).toMatch(/^You're away until/);

      expect(await t.command('U0MGR', '/reassign', `L-${id} <@U0CAROL|carol> moving`)).toContain('U0CAROL');
      expect((await t.lead(id)).owner_id).toBe('U0CAROL');
      expect(await t.command('U0MGR', '/owner', 'acme.com <@U0ALICE|alice>')).toContain('U0ALICE');

      const opened = await t.slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
      expect(opened.transport).toBe(mode);
      await t.slack.waitForCall('views.publish', (c) => c.args.user_id === 'U0ALICE');
      expect(JSON.stringify(t.slack.homeView('U0ALICE')?.definition)).toContain('away');
    });

    it('answers help with the usage line', async () => {
      const { slack } = await start(store, mode);
      const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' });
      expect((reply.body as { text: string }).text).toMatch(/^Usage: `\/leads`/);
    });

    it('names an unknown lead reference and changes nothing', async () => {
      const { slack, sql } = await start(store, mode);
      const reply = await slack.slashCommand({ command: '/leads', text: 'L-999', userId: 'U0MGR' });
      expect((reply.body as { text: string }).text).toContain('There is no lead L-999');
      expect(await sql.get('SELECT count(*) AS n FROM leads')).toEqual({ n: 0 });
    });

    it('refuses people who are not in the config', async () => {
      const { slack } = await start(store, mode);
      const reply = await slack.slashCommand({ command: '/leads', text: 'L-1', userId: 'U0STRANGER' });
      expect((reply.body as { text: string }).text).toContain("You're not set up in leadrelay");
    });

    it('starts while Slack is unreachable and answers Slack once it is back', async () => {
      const { slack } = await start(store, mode, (s) => s.fail('auth.test', { status: 500 }));
      const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' });
      expect((reply.body as { text: string }).text).toMatch(/^Usage/);
      expect(slack.callsTo('auth.test').map((call) => call.status)).toEqual([500, 200]);
    });

    it('refuses to start with a token Slack rejects, naming the variable', async () => {
      await expect(start(store, mode, (s) => s.fail('auth.test', { error: 'invalid_auth' }))).rejects.toThrow(/Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);
    });

    it('serves /healthz on the same port with the mode, the store and the instance', async () => {
      const { baseUrl } = await start(store, mode);
      const response = await fetch(`${baseUrl}/healthz`);
      expect(response.status).toBe(200);
      const health = (await response.json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', mode, store, database: 'ok', outbox: { pending: 0 } });
      expect(health.instance).toMatch(new RegExp(`^${hostname()}/[^/]+/${process.pid}/[0-9a-f]{6}$`));
    });
  });

  describe('HTTP mode', () => {
    it('refuses a Slack request with a bad signature', async () => {
      const { slack } = await start(store, 'http');
      const reply = await slack.slashCommand({ command: '/leads', text: 'help', userId: 'U0ALICE' }, { signingSecret: 'wrong' });
      expect(reply.status).toBe(401);
    });
  });
});
