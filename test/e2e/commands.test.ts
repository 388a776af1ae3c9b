import { describe, expect, it } from 'vitest';
import { describeEachStore, startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { eventually } from '../support/eventually.ts';

const HOUR = 3_600_000;
const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, max_offers: 3 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
  - { id: U0CAROL, name: Carol }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
  - { id: named, manager: U0MGR, members: [U0CAROL] }
rules:
  - { name: Named account, route: account_owner }
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`;

useHarnessCleanup();

async function start(store: StoreKind) {
  const harness = await startHarness({ store, configYaml: CONFIG, users: [{ id: 'U0ALICE', tz: 'UTC' }, 'U0BOB', 'U0CAROL', 'U0MGR', 'U0STRANGER'] });
  const awayUntil = async (rep: string) => ((await harness.sql.get('SELECT away_until FROM rep_state WHERE rep_id = ?', rep)) as { away_until: number | null } | undefined)?.away_until ?? null;
  return { ...harness, awayUntil };
}

describeEachStore('slash commands and the App Home', (store) => {
  describe('/away', () => {
    it('takes the rep out of rotation for a duration, moves their pending offers at once, and brings them back with a DM', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      expect((await t.pendingRep(id))).toBe('U0ALICE');
      const reply = await t.command('U0ALICE', '/away', '2h');
      expect(reply).toContain("You're away until <!date^");
      expect(reply).toContain('1 pending offer moved on');
      expect((await t.pendingRep(id))).toBe('U0BOB');
      expect((await t.awayUntil('U0ALICE'))).toBe(t.clock.now() + 2 * HOUR);

      t.clock.advance(2 * HOUR);
      expect(await t.bot.availability.returnDue()).toBe(1);
      await t.bot.outbox.drain();
      expect(t.slack.lastMessage('U0ALICE')?.text).toContain("You're back in rotation");
      expect((await t.awayUntil('U0ALICE'))).toBeNull();
    });

    it('reads "until 16:00" in the user\'s time zone', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', 'until 16:00');
      expect((await t.awayUntil('U0ALICE'))).toBe(Date.parse('2026-11-24T16:00:00Z'));
    });

    it('reads "until 16:00" in the zone Slack has for the user, and in the config zone when Slack cannot say', async () => {
      const t = await start(store);
      // Bob's Slack profile says New York (the stand-in's default zone); the config says UTC.
      await t.command('U0BOB', '/away', 'until 16:00');
      expect((await t.awayUntil('U0BOB'))).toBe(Date.parse('2026-11-24T21:00:00Z'));
      await t.command('U0BOB', '/away', 'off');
      t.slack.fail('users.info', { error: 'user_not_found' }, { times: Infinity, when: (args) => args.user === 'U0CAROL' });
      await t.command('U0CAROL', '/away', 'until 16:00');
      expect((await t.awayUntil('U0CAROL'))).toBe(Date.parse('2026-11-24T16:00:00Z'));
    });

    it('toggles with no argument, and /away off comes back', async () => {
      const t = await start(store);
      expect(await t.command('U0ALICE', '/away', '')).toContain("You're away until you turn it off");
      expect((await t.awayUntil('U0ALICE'))).toBe(Number.MAX_SAFE_INTEGER);
      expect(await t.command('U0ALICE', '/away', '')).toContain("You're back in rotation");
      await t.command('U0ALICE', '/away', '1h');
      expect(await t.command('U0ALICE', '/away', 'off')).toContain("You're back in rotation");
      expect(await t.command('U0ALICE', '/away', 'off')).toContain('not away');
    });

    it('offers queued leads the moment a rep comes back', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      const id = await t.postLead({ email: 'jane@beta.io' });
      expect((await t.lead(id)).state).toBe('queued');
      await t.command('U0BOB', '/away', 'off');
      expect((await t.pendingRep(id))).toBe('U0BOB');
    });

    it('answers a bad argument with the usage line and changes nothing', async () => {
      const t = await start(store);
      const reply = await t.command('U0ALICE', '/away', '2 hours');
      expect(reply).toContain("I don't understand");
      expect(reply).toContain('Usage: `/away`');
      expect((await t.awayUntil('U0ALICE'))).toBeNull();
    });

    it('lets a manager set a rep away, and refuses a rep changing someone else', async () => {
      const t = await start(store);
      expect(await t.command('U0MGR', '/away', '<@U0BOB|bob> 1h')).toContain('<@U0BOB> is away until');
      expect((await t.awayUntil('U0BOB'))).toBe(t.clock.now() + HOUR);
      expect(await t.command('U0ALICE', '/away', '<@U0CAROL|carol> 1h')).toContain("Only a manager can change someone else's availability");
      expect((await t.awayUntil('U0CAROL'))).toBeNull();
    });
  });

  describe('/reassign', () => {
    it('lets the owner hand a lead over: the new owner and the old one are told, history says who and why', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: 'U0ALICE', ts: t.slack.lastMessage('U0ALICE')!.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      const reply = await t.command('U0ALICE', '/reassign', `L-${id} <@U0BOB|bob> knows them well`);
      expect(reply).toContain(`L-${id} now belongs to <@U0BOB>`);
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0BOB' });
      await t.bot.outbox.drain();
      expect(t.slack.lastMessage('U0BOB')?.text).toContain(`L-${id}`);
      const history = (await t.sql.get(`SELECT actor, detail FROM lead_history WHERE lead_id = ? AND event = 'reassigned'`, id)) as { actor: string; detail: string };
      expect(history.actor).toBe('U0ALICE');
      expect(JSON.parse(history.detail)).toEqual({ from: 'U0ALICE', to: 'U0BOB', reason: 'knows them well' });
    });

    it('withdraws an offer in flight when a manager reassigns', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      await t.command('U0MGR', '/reassign', `L-${id} <@U0CAROL>`);
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0CAROL' });
      expect((await t.pendingRep(id))).toBeUndefined();
      await t.bot.outbox.drain();
      expect(JSON.stringify(t.slack.lastMessage('U0ALICE')?.blocks)).not.toContain('claim_lead');
    });

    it("refuses someone reassigning another rep's lead, an unknown lead and an unknown user", async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      expect(await t.command('U0BOB', '/reassign', `L-${id} <@U0BOB>`)).toContain("Only L-1's owner or a manager");
      expect(await t.command('U0MGR', '/reassign', 'L-99 <@U0BOB>')).toContain('There is no lead L-99');
      expect(await t.command('U0MGR', '/reassign', `L-${id} <@U0STRANGER>`)).toContain('not a rep');
      expect(await t.command('U0MGR', '/reassign', `L${id} <@U0BOB>`)).toContain('Usage: `/reassign');
      expect((await t.pendingRep(id))).toBe('U0ALICE');
    });
  });

  describe('/owner', () => {
    it('lets a manager set an account owner, which takes effect for the next lead', async () => {
      const t = await start(store);
      expect(await t.command('U0MGR', '/owner', 'acme.com <@U0CAROL|carol>')).toContain('acme.com is now owned by <@U0CAROL>');
      expect(await t.command('U0ALICE', '/owner', 'acme.com')).toContain('acme.com is owned by <@U0CAROL> (set by <@U0MGR>');
      const id = await t.postLead({ email: 'jane@acme.com' });
      expect((await t.pendingRep(id))).toBe('U0CAROL');
      expect(await t.command('U0MGR', '/owner', '<http://acme.com|acme.com> none')).toContain('acme.com has no owner now');
      const next = await t.postLead({ email: 'joe@acme.com' });
      expect((await t.pendingRep(next))).toBe('U0ALICE');
    });

    it('refuses a rep setting an account owner', async () => {
      const t = await start(store);
      expect(await t.command('U0ALICE', '/owner', 'acme.com <@U0ALICE>')).toContain("Only a manager can change an account's owner");
      expect(await t.command('U0ALICE', '/owner', 'acme.com')).toContain('acme.com has no owner');
    });
  });

  describe('/leads', () => {
    it('shows my pending offers with claim buttons, and my open leads', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@beta.io', name: 'Jane Doe' });
      const reply = await t.slack.slashCommand({ command: '/leads', text: '', userId: 'U0ALICE' });
      const body = reply.body as { text: string; blocks: unknown[] };
      expect(JSON.stringify(body.blocks)).toContain('claim_lead');
      expect(JSON.stringify(body.blocks)).toContain('Jane Doe');
    });

    it('shows a lead with its history and routing trace', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io', name: 'Jane Doe' });
      const reply = await t.slack.slashCommand({ command: '/leads', text: `L-${id}`, userId: 'U0BOB' });
      const blocks = JSON.stringify((reply.body as { blocks: unknown[] }).blocks);
      expect(blocks).toContain('Routing trace');
      expect(blocks).toContain('Everyone');
      expect(blocks).toContain('offered');
    });

    it('marks a lead done for its owner, which frees capacity; refuses another rep', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: 'U0ALICE', ts: t.slack.lastMessage('U0ALICE')!.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      expect(await t.command('U0BOB', '/leads', `done L-${id}`)).toContain("Only L-1's owner or a manager");
      expect(await t.command('U0ALICE', '/leads', `done L-${id}`)).toContain(`L-${id} is done`);
      expect((await t.lead(id)).state).toBe('done');
      expect(await t.command('U0ALICE', '/leads', 'done L-42')).toContain('There is no lead L-42');
    });

    it('shows the team board to managers only', async () => {
      const t = await start(store);
      await t.command('U0BOB', '/away', '1h');
      const board = await t.slack.slashCommand({ command: '/leads', text: 'team', userId: 'U0MGR' });
      expect(JSON.stringify((board.body as { blocks: unknown[] }).blocks)).toContain('away until');
      expect(await t.command('U0ALICE', '/leads', 'team')).toContain('Only managers');
    });

    it('shows per-rep stats', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@beta.io' });
      const stats = await t.slack.slashCommand({ command: '/leads', text: 'stats', userId: 'U0ALICE' });
      expect(JSON.stringify(stats.body)).toContain('Alice');
    });

    it('answers a bad argument with the usage line', async () => {
      const t = await start(store);
      expect(await t.command('U0ALICE', '/leads', 'L17')).toContain('Usage: `/leads`');
    });
  });

  describe('App Home', () => {
    it('shows a rep their availability toggle, offers and stats, and the toggle takes them away', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@beta.io', name: 'Jane Doe' });
      await t.slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
      const view = await eventually(() => t.slack.homeView('U0ALICE'));
      const json = JSON.stringify(view);
      expect(json).toContain('toggle_away');
      expect(json).toContain('claim_lead');
      expect(json).not.toContain('Team board');
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'toggle_away', view: 'home' });
      await eventually(async () => (await t.awayUntil('U0ALICE')) !== null);
      expect((await t.awayUntil('U0ALICE'))).toBe(Number.MAX_SAFE_INTEGER);
      await eventually(() => JSON.stringify(t.slack.homeView('U0ALICE')).includes("I'm back"));
    });

    it('claims from the Home, and a stale Claim there changes nothing', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@beta.io' });
      await t.slack.event({ type: 'app_home_opened', user: 'U0ALICE', tab: 'home' });
      await eventually(() => (JSON.stringify(t.slack.homeView('U0ALICE')) ?? '').includes('claim_lead'));
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', view: 'home' });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', view: 'home', requireElement: false, value: 'offer:1:0' });
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0ALICE' });
      expect((await t.events(id)).filter((e) => e === 'claimed')).toHaveLength(1);
    });

    it('shows managers the team board too', async () => {
      const t = await start(store);
      await t.slack.event({ type: 'app_home_opened', user: 'U0MGR', tab: 'home' });
      const view = await eventually(() => t.slack.homeView('U0MGR'));
      expect(JSON.stringify(view)).toMatch(/Alice|U0ALICE/);
      expect(JSON.stringify(view).toLowerCase()).toContain('team');
    });
  });
});
