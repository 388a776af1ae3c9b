import { describe, expect, it } from 'vitest';
import { describeEachStore, startHarness, testDatabase, useHarnessCleanup, type HarnessDatabase } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';
import type { SlackStandIn } from '../../src/sandbox/slackStandIn.ts';
import type { StandInMessage } from '../../src/sandbox/slackWorkspace.ts';

const MINUTE = 60_000;

const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, remind_at: 50%, max_offers: 2 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
  - { id: U0CAROL, name: Carol }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
  - { id: backup, manager: U0MGR, members: [U0CAROL] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`;

useHarnessCleanup();

async function start(store: StoreKind, options: { database?: HarnessDatabase; clock?: FakeClock; slack?: SlackStandIn } = {}) {
  const harness = await startHarness({ store, configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'], ...options });
  const { slack, bot } = harness;
  return {
    ...harness,
    card: (userId: string) => slack.lastMessage(userId) as StandInMessage,
    cardText: (userId: string) => JSON.stringify(slack.lastMessage(userId)?.blocks ?? []),
    /** A click on a card; `staleValue` clicks a button the user's client still shows although the card has changed. */
    async click(userId: string, actionId: 'claim_lead' | 'pass_lead', message: StandInMessage, staleValue?: string) {
      return slack.blockAction({ userId, actionId, message: { channel: message.channel, ts: message.ts }, ...(staleValue ? { requireElement: false, value: staleValue } : {}) });
    },
    /** Lets listeners that run after their ack finish, then delivers what they queued. */
    async settle(probe: () => unknown) {
      await eventually(probe);
      await bot.outbox.drain();
    },
  };
}

describeEachStore('offer lifecycle', (store) => {
  describe('offer lifecycle, end to end through the Slack stand-in', () => {
    it('posts a claim card to the rep, and Claim makes them the owner and updates the card in place', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe', company: { name: 'Acme' }, score: 70 });
      const card = t.card('U0ALICE');
      expect(card.metadata).toMatchObject({ event_type: 'leadrelay_offer' });
      expect(t.cardText('U0ALICE')).toContain('claim_lead');
      expect(t.cardText('U0ALICE')).toContain('<!date^');

      await t.click('U0ALICE', 'claim_lead', card);
      await t.settle(async () => (await t.lead(id)).state === 'claimed');
      expect((await t.lead(id))).toMatchObject({ state: 'claimed', owner_id: 'U0ALICE' });
      const updated = t.card('U0ALICE');
      expect(updated.ts).toBe(card.ts);
      expect(updated.versions.length).toBeGreaterThan(0);
      expect(t.cardText('U0ALICE')).not.toContain('claim_lead');
      expect(t.cardText('U0ALICE')).toContain('Claimed by you');
      expect((await t.events(id))).toEqual(['received', 'routed', 'offered', 'claimed']);
    });

    it('moves a passed lead to the next rep at once', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      await t.click('U0ALICE', 'pass_lead', t.card('U0ALICE'));
      await t.settle(async () => t.slack.callsTo('chat.update').length > 0 || (await t.events(id)).includes('passed'));
      await t.bot.outbox.drain();
      expect(t.cardText('U0ALICE')).toContain('passed');
      expect(t.cardText('U0ALICE')).toContain('U0BOB');
      expect(t.cardText('U0BOB')).toContain('claim_lead');
      expect((await t.lead(id)).state).toBe('offered');
    });

    it('passes with a reason picked in the card\'s select: recorded in the history and shown on the card', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      const card = t.card('U0ALICE');
      const select = JSON.stringify(card.blocks).match(/"value":"(offer:\d+:\d+:territory)"/)?.[1];
      expect(select).toBeDefined();
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'pass_lead', elementType: 'static_select', message: { channel: card.channel, ts: card.ts }, selectedOption: { value: select ?? '' } });
      await t.settle(async () => (await t.events(id)).includes('passed'));
      const passed = (await t.sql.get(`SELECT detail FROM lead_history WHERE lead_id = ? AND event = 'passed'`, id)) as { detail: string };
      expect(JSON.parse(passed.detail)).toMatchObject({ reason: 'Not my territory' });
      expect(t.cardText('U0ALICE')).toContain('Reason: Not my territory');
      expect(t.cardText('U0BOB')).toContain('claim_lead');
      // A second pick on the old card changes nothing: the offer has moved on.
      const again = await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'pass_lead', elementType: 'static_select', message: { channel: card.channel, ts: card.ts }, selectedOption: { value: select ?? '' }, requireElement: false });
      expect(again.status).toBe(200);
      await t.bot.outbox.drain();
      expect((await t.events(id)).filter((e) => e === 'passed')).toHaveLength(1);
    });

    // On SQLite a batch commits within a turn of the event loop, so what runs at the first yield sees exactly one batch.
    it.runIf(store === 'sqlite')('expires a burst of due offers in batches, letting other work run between batches', async () => {
      const t = await start(store);
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await t.postLead({ email: `burst${i}@acme.com` }));
      t.clock.advance(5 * MINUTE);
      const expiredSoFar = () => (t.sqlite().prepare(`SELECT count(*) AS n FROM lead_history WHERE event = 'expired'`).get() as { n: number }).n;
      const seenBetweenBatches: number[] = [];
      const run = t.bot.deadlines.expireDue({ yieldBetweenBatches: true, batchSize: 2 });
      // Queued as the run starts (its first batch is committed in the unit of work's next turn): it
      // runs at the first yield, after the first batch of 2.
      setImmediate(() => seenBetweenBatches.push(expiredSoFar()));
      expect(expiredSoFar()).toBe(0);
      expect(await run).toBe(5);
      expect(seenBetweenBatches).toEqual([2]);
      expect(expiredSoFar()).toBe(5);
      for (const id of ids) expect((await t.events(id))).toContain('expired');
    });

    it('posts a reminder in the card\'s thread at remind_at', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      t.clock.advance(2.5 * MINUTE);
      expect(await t.bot.lifecycle.remindDue()).toBe(1);
      await t.bot.outbox.drain();
      expect(t.slack.thread('U0ALICE', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('L-1')]);
      expect(await t.bot.lifecycle.remindDue()).toBe(0);
    });

    it('expires unclaimed offers down the chain, escalates after max_offers, and a manager assigns in one click', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      t.clock.advance(5 * MINUTE);
      expect(await t.bot.deadlines.expireDue()).toBe(1);
      await t.bot.outbox.drain();
      expect(t.cardText('U0ALICE')).toContain('Expired');
      expect(t.cardText('U0BOB')).toContain('claim_lead');

      t.clock.advance(5 * MINUTE);
      expect(await t.bot.deadlines.expireDue()).toBe(1);
      await t.bot.outbox.drain();
      expect((await t.lead(id)).state).toBe('escalated');
      const escalation = t.slack.lastMessage('C0ESCALATE') as StandInMessage;
      expect(JSON.stringify(escalation.blocks)).toContain('assign_lead');

      t.clock.advance(5 * MINUTE);
      expect(await t.bot.lifecycle.repingDue()).toBe(1);
      await t.bot.outbox.drain();
      expect(t.slack.thread('C0ESCALATE', escalation.ts).map((m) => m.text)).toEqual([expect.stringContaining('still needs an owner')]);

      await t.slack.blockAction({ userId: 'U0MGR', actionId: 'assign_lead', message: { channel: 'C0ESCALATE', ts: escalation.ts }, selectedUser: 'U0CAROL' });
      await t.settle(async () => (await t.lead(id)).state === 'claimed');
      expect((await t.lead(id))).toMatchObject({ state: 'claimed', owner_id: 'U0CAROL' });
      expect(t.slack.lastMessage('U0CAROL')?.text).toContain('L-1');
      expect(JSON.stringify(t.slack.lastMessage('C0ESCALATE')?.blocks)).not.toContain('assign_lead');
      expect((await t.events(id))).toEqual(['received', 'routed', 'offered', 'expired', 'routed', 'offered', 'expired', 'escalated', 'assigned']);
    });

    it('escalates a lead nobody can take to the manager of the team that had nobody (the fallback), and says so', async () => {
      const yaml = `
  timezone: UTC
  managers: [U0BOSS, U0MGR]
  reps:
    - { id: U0ALICE, name: Alice }
    - { id: U0BOB, name: Bob }
  teams:
    - { id: senior, manager: U0MGR, members: [U0ALICE] }
    - { id: sdr, manager: U0BOSS, members: [U0BOB] }
  rules:
    - { name: Hot lead, when: { score: { gte: 80 } }, route: { team: senior } }
  fallback: { team: sdr }
  `;
      const t = await startHarness({ store, configYaml: yaml, users: ['U0ALICE', 'U0BOB', 'U0MGR', 'U0BOSS'] });
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe', score: 90 });
      await eventually(async () => (await t.lead(id)).state === 'queued');
      await t.bot.outbox.drain();
      expect(t.slack.lastMessage('U0MGR')).toBeUndefined();
      const escalation = JSON.stringify(t.slack.lastMessage('U0BOSS')?.blocks ?? []);
      expect(escalation).toContain('Nobody is available to take it in team sdr');
      const reply = await t.slack.slashCommand({ command: '/leads', text: `L-${id}`, userId: 'U0BOSS' });
      expect(JSON.stringify(reply.body)).toContain('Result: queued, nobody eligible (last tried: team sdr); escalated to U0BOSS (manager of team sdr) by DM');
    });

    it('answers a click on a stale card ephemerally with where the lead is, and changes nothing', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      const before = (await t.lead(id));
      const reply = await t.click('U0ALICE', 'claim_lead', card, 'offer:1:0');
      const answer = await reply.responses.waitFor();
      expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('offered to <@U0BOB>') });
      expect((await t.lead(id))).toEqual(before);
    });

    it('notes a duplicate in the thread of the current card instead of routing it again', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', source: 'form' });
      const card = t.card('U0ALICE');
      const again = await t.sendLead({ email: ' JANE@acme.com', source: 'linkedin' });
      expect(await again.json()).toMatchObject({ lead: `L-${id}`, status: 'duplicate' });
      await t.bot.outbox.drain();
      expect(t.slack.thread('U0ALICE', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('Seen again via LinkedIn')]);
      expect((await t.sql.get('SELECT count(*) AS n FROM offers'))).toEqual({ n: 1 });
    });

    it('gives exactly one winner when two clicks race', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      await Promise.all([t.click('U0ALICE', 'claim_lead', card), t.click('U0ALICE', 'claim_lead', card, 'offer:1:0')]);
      await t.settle(async () => (await t.lead(id)).state === 'claimed');
      // The winner's card is replaced through its click's response_url; the loser is told where the lead is.
      await eventually(() => t.slack.responseUrlPosts.length === 2);
      expect(t.slack.responseUrlPosts.filter((p) => p.body.replace_original === true)).toHaveLength(1);
      expect(t.slack.responseUrlPosts.filter((p) => p.body.response_type === 'ephemeral').map((p) => p.body.text)).toEqual([expect.stringContaining('claimed by you')]);
      expect(t.cardText('U0ALICE')).toContain('Claimed by you');
      expect((await t.events(id)).filter((e) => e === 'claimed')).toHaveLength(1);
      expect((await t.sql.get("SELECT count(*) AS n FROM offers WHERE state = 'claimed'"))).toEqual({ n: 1 });
    });

    describe('when Slack fails', () => {
      it('retries a rate-limited card after Retry-After and posts it once', async () => {
        const t = await start(store);
        t.slack.fail('chat.postMessage', { status: 429, retryAfter: 3 });
        await t.postLead({ email: 'jane@acme.com' });
        expect(t.slack.lastMessage('U0ALICE')).toBeUndefined();
        t.clock.advance(3000);
        await t.bot.outbox.drain();
        expect(t.slack.messages('U0ALICE')).toHaveLength(1);
      });

      it('retries the click\'s response_url after a 5xx, and falls back to chat.update when Slack refuses it for good', async () => {
        const t = await start(store);
        const id = await t.postLead({ email: 'jane@acme.com' });
        t.slack.fail('response_url', { status: 500 });
        await t.click('U0ALICE', 'claim_lead', t.card('U0ALICE'));
        await t.settle(async () => (await t.lead(id)).state === 'claimed');
        expect(t.cardText('U0ALICE')).toContain('claim_lead');
        t.clock.advance(1000);
        await t.bot.outbox.drain();
        expect(t.cardText('U0ALICE')).toContain('Claimed by you');
        expect(t.slack.responseUrlPosts.filter((p) => p.body.replace_original === true).map((p) => p.status)).toEqual([500, 200]);
        expect(t.slack.callsTo('chat.update')).toHaveLength(0);

        // Another lead, another click: Slack answers its URL "used_url" (404): chat.update carries the change at once.
        const second = await t.postLead({ email: 'bob@beta.io' });
        const card = t.slack.lastMessage((await t.pendingRep(second)) as string) as StandInMessage;
        t.slack.fail('response_url', { error: 'used_url' });
        await t.click((await t.pendingRep(second)) as string, 'claim_lead', card);
        await t.settle(async () => (await t.lead(second)).state === 'claimed');
        expect(JSON.stringify(t.slack.message(card.channel, card.ts)?.blocks)).toContain('Claimed by you');
        expect(t.slack.callsTo('chat.update').map((c) => c.ok)).toEqual([true]);
      });

      it('updates a card by chat.update after a 5xx when nobody clicked it (an expiry)', async () => {
        const t = await start(store);
        await t.postLead({ email: 'jane@acme.com' });
        t.slack.fail('chat.update', { status: 500 });
        t.clock.advance(5 * MINUTE);
        await t.bot.deadlines.expireDue();
        await t.bot.outbox.drain();
        expect(t.cardText('U0ALICE')).toContain('claim_lead');
        t.clock.advance(1000);
        await t.bot.outbox.drain();
        expect(t.cardText('U0ALICE')).toContain('Expired');
        expect(t.slack.responseUrlPosts).toHaveLength(0);
      });

      it('moves on to the next rep when Slack refuses a card for good, and records why', async () => {
        const t = await start(store);
        t.slack.fail('chat.postMessage', { error: 'user_not_found' }, { when: (args) => args.channel === 'U0ALICE' });
        const id = await t.postLead({ email: 'jane@acme.com' });
        await t.bot.outbox.drain();
        expect(t.cardText('U0BOB')).toContain('claim_lead');
        expect((await t.events(id))).toContain('delivery_failed');
      });
    });

    it('does not post a reminder or a DM twice when the process died with its post in flight', async () => {
      const database = await testDatabase(store);
      const clock = new FakeClock('2026-11-24T14:00:00Z');
      const first = await start(store, { database, clock });
      const id = await first.postLead({ email: 'jane@acme.com' });
      const card = first.card('U0ALICE');
      clock.advance(2.5 * MINUTE);
      expect(await first.bot.lifecycle.remindDue()).toBe(1);
      await first.bot.outbox.drain();
      expect(first.slack.thread('U0ALICE', card.ts)).toHaveLength(1);
      // A manager reassigns: Bob gets a DM, Alice a note.
      await first.command('U0MGR', '/reassign', `L-${id} <@U0BOB|bob>`);
      await first.bot.outbox.drain();
      const dmsToBob = () => first.slack.messages('U0BOB').filter((m) => m.kind === 'message').length;
      const dms = dmsToBob();
      expect(dms).toBeGreaterThan(0);
      // The crash: Slack has them, but their outbox rows were never marked done.
      (await first.sql.run(`UPDATE outbox SET state = 'pending', done_at = NULL WHERE method IN ('post_reminder', 'dm_assigned', 'dm_reassigned_away')`));
      const replayed = ((await first.sql.get(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`)) as { n: number }).n;
      expect(replayed).toBeGreaterThanOrEqual(2);
      await first.stop();

      const second = await start(store, { database, clock, slack: first.slack });
      await second.bot.outbox.drain();
      expect(second.slack.thread('U0ALICE', card.ts)).toHaveLength(1);
      expect(dmsToBob()).toBe(dms);
      expect((await second.sql.get(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`))).toEqual({ n: 0 });
      // Each was looked up, not posted again.
      expect(second.slack.callsTo('conversations.replies').length + second.slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(2);
    });

    it('does not post the "back in rotation" DM twice when the process died with its post in flight', async () => {
      const database = await testDatabase(store);
      const clock = new FakeClock('2026-11-24T14:00:00Z');
      const first = await start(store, { database, clock });
      await first.command('U0BOB', '/away', '1h');
      clock.advance(60 * MINUTE);
      expect(await first.bot.availability.returnDue()).toBe(1);
      await first.bot.outbox.drain();
      const backDms = () => first.slack.messages('U0BOB').filter((m) => m.kind === 'message' && m.text.includes('back in rotation')).length;
      expect(backDms()).toBe(1);
      (await first.sql.run(`UPDATE outbox SET state = 'pending', done_at = NULL WHERE method = 'post_message'`));
      await first.stop();

      const second = await start(store, { database, clock, slack: first.slack });
      await second.bot.outbox.drain();
      expect(backDms()).toBe(1);
      expect((await second.sql.all(`SELECT state FROM outbox WHERE method = 'post_message'`))).toEqual([{ state: 'done' }]);
    });

    it('does not post a card twice when the process died with its post in flight', async () => {
      const database = await testDatabase(store);
      const clock = new FakeClock('2026-11-24T14:00:00Z');
      const first = await start(store, { database, clock });
      await first.postLead({ email: 'jane@acme.com' });
      expect(first.slack.messages('U0ALICE')).toHaveLength(1);
      // The crash: Slack has the card, but the outbox row was never marked done and the ts never stored.
      (await first.sql.run(`UPDATE outbox SET state = 'pending', done_at = NULL WHERE method = 'post_offer_card'`));
      (await first.sql.run('UPDATE offers SET channel_id = NULL, message_ts = NULL'));
      await first.stop();

      const second = await start(store, { database, clock, slack: first.slack });
      await second.bot.outbox.drain();
      expect(second.slack.messages('U0ALICE')).toHaveLength(1);
      expect((await second.sql.get('SELECT message_ts FROM offers'))).toEqual({ message_ts: second.slack.messages('U0ALICE')[0]?.ts });
    });
  });

  describe('every Slack call of the flow survives 429, 5xx and ok:false', () => {
    /** Drives a lead to escalation, then assignment, with `fault` injected once into `method` calls matching `when`. */
    async function runFlowWith(method: string, fault: Parameters<SlackStandIn['fail']>[1], when?: (args: Record<string, unknown>) => boolean) {
      const t = await start(store);
      t.slack.fail(method, fault, { times: 1, ...(when ? { when } : {}) });
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      const settleAll = async () => {
        for (let i = 0; i < 6; i += 1) {
          t.clock.advance(60_000);
          await t.bot.outbox.drain();
        }
      };
      await settleAll();
      t.clock.advance(2.5 * MINUTE);
      await t.bot.lifecycle.remindDue();
      await settleAll();
      await t.bot.deadlines.expireDue();
      await settleAll();
      await t.bot.deadlines.expireDue();
      await settleAll();
      await t.bot.lifecycle.repingDue();
      await settleAll();
      const escalation = t.slack.lastMessage('C0ESCALATE');
      return { t, id, escalation };
    }

    const faults = [
      ['a 429', { status: 429 as const, retryAfter: 2 }],
      ['a 5xx', { status: 500 as const }],
    ] as const;
    const steps = [
      ['chat.postMessage', 'the offer card', (a: Record<string, unknown>) => a.channel === 'U0ALICE' && a.metadata !== undefined],
      ['chat.postMessage', 'the reminder', (a: Record<string, unknown>) => a.thread_ts !== undefined && a.channel !== 'C0ESCALATE'],
      ['chat.postMessage', 'the escalation', (a: Record<string, unknown>) => a.channel === 'C0ESCALATE' && a.thread_ts === undefined],
      ['chat.postMessage', 'the re-ping', (a: Record<string, unknown>) => a.channel === 'C0ESCALATE' && a.thread_ts !== undefined],
      ['chat.update', 'the expired card', (a: Record<string, unknown>) => String(a.channel).startsWith('D')],
    ] as const;
    it.each(steps.flatMap(([method, what, when]) => faults.map(([name, fault]) => [method, what, name, when, fault] as const)))(
      '%s for %s: retried after %s',
      async (method, _what, _name, when, fault) => {
        const { t, id, escalation } = await runFlowWith(method, fault, when);
        expect((await t.lead(id)).state).toBe('escalated');
        expect(escalation).toBeDefined();
        expect(t.slack.calls.filter((c) => c.method === method && c.injected).length).toBe(1);
        expect((await t.sql.get(`SELECT count(*) AS n FROM outbox WHERE state != 'done'`))).toEqual({ n: 0 });
      },
    );

    it('records a permanent ok:false on the escalation and keeps the lead escalated', async () => {
      const { t, id } = await runFlowWith('chat.postMessage', { error: 'channel_not_found' }, (a) => a.channel === 'C0ESCALATE' && a.thread_ts === undefined);
      expect((await t.lead(id)).state).toBe('escalated');
      expect((await t.events(id))).toContain('delivery_failed');
    });

    it('recovers when conversations.history fails while looking for a card that may have been posted', async () => {
      const t = await start(store);
      t.slack.fail('chat.postMessage', { network: 'reset' }, { times: 1, when: (a) => a.metadata !== undefined });
      t.slack.fail('conversations.history', { status: 500 }, { times: 1 });
      await t.postLead({ email: 'jane@acme.com' });
      for (let i = 0; i < 5; i += 1) {
        t.clock.advance(10_000);
        await t.bot.outbox.drain();
      }
      expect(t.slack.messages('U0ALICE')).toHaveLength(1);
      expect((await t.sql.get('SELECT message_ts FROM offers'))).toEqual({ message_ts: t.slack.messages('U0ALICE')[0]?.ts });
    });
  });
});
