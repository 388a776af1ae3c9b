/**
 * No message keeps words that are no longer true, and every click is answered, end to end
 * through the Slack stand-in: a resolved escalation says who owns the lead, a reminder of an offer
 * that ended says so, a long lead message can be read in full, a click that cannot be stored says
 * nothing changed, and a click on a stale card replaces it at once.
 */
import { describe, expect, it } from 'vitest';
import { describeEachStore, startHarness, useHarnessCleanup, type Harness } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { eventually } from '../support/eventually.ts';
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

const textOf = (message: StandInMessage | undefined) => `${message?.text ?? ''}\n${JSON.stringify(message?.blocks ?? [])}`;

async function start(store: StoreKind) {
  const t = await startHarness({ store, configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'] });
  const card = (userId: string) => t.slack.messages(userId, { includeReplies: false, includeEphemeral: false }).at(-1) as StandInMessage;
  const escalation = () => t.slack.messages('C0ESCALATE', { includeReplies: false, includeEphemeral: false });
  const click = (userId: string, actionId: string, message: StandInMessage, extra: Record<string, unknown> = {}) =>
    t.slack.blockAction({ userId, actionId, message: { channel: message.channel, ts: message.ts }, ...extra });
  /** Lets the listener finish after its ack (a stale answer is posted after it), then delivers what it queued. */
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await t.bot.outbox.drain();
  };
  return { ...t, card, escalation, click, settle };
}

/** Makes the database refuse (or take again) every claim, as a full disk would: the claim's transaction rolls back. */
async function refuseClaims(t: Harness, refuse: boolean) {
  if (t.store === 'sqlite') {
    await t.sql.run(
      refuse
        ? `CREATE TRIGGER refuse_claims BEFORE UPDATE OF state ON offers WHEN NEW.state = 'claimed' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`
        : 'DROP TRIGGER refuse_claims',
    );
    return;
  }
  if (!refuse) {
    await t.sql.run('DROP TRIGGER refuse_claims ON offers');
    return;
  }
  await t.sql.run(`CREATE FUNCTION refuse_claims() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END; $$`);
  await t.sql.run(`CREATE TRIGGER refuse_claims BEFORE UPDATE OF state ON offers FOR EACH ROW WHEN (NEW.state = 'claimed') EXECUTE FUNCTION refuse_claims()`);
}

describeEachStore('stale words and answered clicks', (store) => {
  describe('a resolved escalation says who owns the lead', () => {
    it('no longer says "nobody is available" once a queued lead is offered again, then says who took it', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      expect((await t.lead(id)).state).toBe('queued');
      const [message] = t.escalation();
      expect(textOf(message)).toContain('Nobody is available to take it in team sdr; it will be offered as soon as someone is.');
      expect(textOf(message)).toContain('assign_lead');

      // Bob is back: the lead is offered to him, and the escalation says so in place, without the controls.
      await t.command('U0BOB', '/away', 'off');
      await t.bot.outbox.drain();
      expect((await t.lead(id)).state).toBe('offered');
      expect(t.escalation()).toHaveLength(1);
      expect(textOf(message)).toContain('Now offered to <@U0BOB>');
      expect(textOf(message)).not.toContain('Nobody is available');
      expect(textOf(message)).not.toContain('assign_lead');

      // Bob claims it: the escalation names the owner.
      await t.click('U0BOB', 'claim_lead', t.card('U0BOB'));
      await t.settle();
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0BOB' });
      expect(message?.blocks?.[0]).toMatchObject({ type: 'header', text: { text: 'Owner found: L-1 · Jane Doe' } });
      expect(textOf(message)).toContain('✅ Taken by <@U0BOB>');
      expect(textOf(message)).toContain('Waited for someone to become available in team sdr.');
      expect(textOf(message)).not.toContain('Nobody is available');
      expect(textOf(message)).not.toContain('as soon as someone is');
    });

    it('is replaced through the manager\'s click when they assign it', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      expect((await t.lead(id)).state).toBe('escalated');
      const [message] = t.escalation();
      const reply = await t.click('U0MGR', 'assign_lead', message as StandInMessage, { selectedUser: 'U0CAROL' });
      expect(reply.status).toBe(200);
      await t.settle();
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0CAROL' });
      expect(textOf(message)).toContain('✅ Assigned to <@U0CAROL> by <@U0MGR>');
      // Through the click's response_url, not chat.update.
      expect(reply.responses.posts.map((p) => ({ status: p.status, replace: p.body.replace_original }))).toEqual([{ status: 200, replace: true }]);
      expect(t.slack.callsTo('chat.update').filter((c) => c.args.channel === 'C0ESCALATE')).toEqual([]);
    });
  });

  describe('a manager\'s "Take it myself"', () => {
    it('replaces the escalation through the click\'s response_url with who took it', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      const [message] = t.escalation();
      const reply = await t.click('U0MGR', 'claim_lead', message as StandInMessage);
      await t.settle();
      expect((await t.lead(id))).toEqual({ state: 'claimed', owner_id: 'U0MGR' });
      expect(textOf(message)).toContain('✅ Taken by <@U0MGR>');
      expect(textOf(message)).not.toContain('Nobody is available');
      expect(reply.responses.posts.map((p) => [p.status, p.body.replace_original])).toEqual([[200, true]]);
      expect(t.slack.callsTo('chat.update').filter((c) => c.args.channel === 'C0ESCALATE')).toEqual([]);
    });
  });

  describe('a lead escalated again', () => {
    it('keeps its one escalation message, brought up to date in place, and pings the manager in its thread', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
      const [message] = t.escalation();
      await t.command('U0ALICE', '/away', 'off');
      await t.command('U0BOB', '/away', 'off');
      await t.bot.outbox.drain();
      expect(textOf(message)).toContain('Now offered to');
      // Nobody claims: after max_offers the lead needs a manager again.
      for (let i = 0; i < 2; i += 1) {
        t.clock.advance(5 * MINUTE);
        await t.bot.deadlines.expireDue();
        await t.bot.outbox.drain();
      }
      expect((await t.lead(id)).state).toBe('escalated');
      expect(t.escalation()).toHaveLength(1);
      expect(textOf(message)).toContain('Needs an owner: L-1');
      expect(textOf(message)).toContain('assign_lead');
      expect(t.slack.thread('C0ESCALATE', message?.ts as string).map((m) => m.text)).toEqual([expect.stringContaining('L-1 still needs an owner')]);
    });
  });

  describe('a reminder of an offer that ended', () => {
    it('is updated to say the offer ended and what became of it, instead of the time left', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      t.clock.advance(2.5 * MINUTE);
      await t.bot.lifecycle.remindDue();
      await t.bot.outbox.drain();
      const [reminder] = t.slack.thread('U0ALICE', card.ts);
      expect(reminder?.text).toContain('is still yours to claim — 2m 30s left');

      t.clock.advance(2.5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      expect(t.slack.thread('U0ALICE', card.ts)).toHaveLength(1);
      expect(reminder?.text).toBe('⌛ L-1 is no longer waiting for you: expired, offered to <@U0BOB>.');
      expect(reminder?.text).not.toContain('left');
    });

    it('says "claimed by you" once the rep claimed it', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      t.clock.advance(2.5 * MINUTE);
      await t.bot.lifecycle.remindDue();
      await t.bot.outbox.drain();
      t.clock.advance(30_000);
      await t.click('U0ALICE', 'claim_lead', card);
      await t.settle();
      expect(t.slack.thread('U0ALICE', card.ts).map((m) => m.text)).toEqual(['✅ L-1 is no longer waiting for you: claimed by you in 3m.']);
    });
  });

  describe('a long lead message is readable in full', () => {
    const paragraph = 'We are evaluating lead routing for a 300-seat sales team across EMEA and North America; ';
    const body = paragraph.repeat(40).slice(0, 2880).trimEnd();
    const message = `${body}${' Please call.'.padEnd(2900 - body.length, '!')}`;
    /** The text without white space: what matters is that no character is lost (sections are cut at spaces). */
    const squeezed = (text: string) => text.replace(/\s+/g, '');

    it('gives the card a "Full message" button that opens the whole text in a modal', async () => {
      expect(message).toHaveLength(2900);
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe', message });
      const card = t.card('U0ALICE');
      // The card shows an excerpt, and says there is more.
      expect(textOf(card)).not.toContain(message);
      expect(textOf(card)).toContain('…');
      expect(textOf(card)).toContain('"action_id":"show_full_message"');
      const reply = await t.click('U0ALICE', 'show_full_message', card);
      expect(reply.status).toBe(200);
      const [modal] = await eventually(() => (t.slack.modals('U0ALICE').length > 0 ? t.slack.modals('U0ALICE') : null));
      expect(modal?.definition.title).toMatchObject({ type: 'plain_text', text: `L-${id} · message` });
      const sections = (modal?.definition.blocks as { type: string; text?: { type: string; text: string } }[]).filter((b) => b.type === 'section');
      expect(sections.every((b) => b.text?.type === 'plain_text' && b.text.text.length <= 3000)).toBe(true);
      expect(squeezed(sections.map((b) => b.text?.text).join(''))).toBe(squeezed(message));
      expect(t.slack.callsTo('views.open').map((c) => c.ok)).toEqual([true]);
    });

    it('shows the whole text in /leads L-n, across as many sections as it needs', async () => {
      const t = await start(store);
      const long = `${'x'.repeat(2999)} ${'y'.repeat(3500)}`;
      const id = await t.postLead({ email: 'jane@acme.com', name: 'Jane Doe', message: long });
      const reply = await t.slack.slashCommand({ command: '/leads', text: `L-${id}`, userId: 'U0MGR' });
      const blocks = (reply.body as { blocks: { type: string; text?: { type: string; text: string } }[] }).blocks;
      const plain = blocks.filter((b) => b.type === 'section' && b.text?.type === 'plain_text').map((b) => b.text?.text ?? '');
      expect(plain.length).toBeGreaterThanOrEqual(3);
      // The lead's own section (name, company, e-mail: plain text too) comes first, then the message in full.
      expect(plain.join('').replace(/\s+/g, '')).toContain(long.replace(/\s+/g, ''));
      expect(blocks.length).toBeLessThanOrEqual(50);
    });
  });

  describe('every click is answered', () => {
    it('answers a click that cannot be stored with "nothing was changed, try again", and changes nothing', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      // The database refuses the claim (as a full disk would): the transaction rolls back.
      await refuseClaims(t, true);
      const reply = await t.click('U0ALICE', 'claim_lead', card);
      expect(reply.status).toBe(200);
      const answer = await reply.responses.waitFor();
      expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('nothing was changed. Please try again') });
      await t.bot.outbox.drain();
      expect((await t.lead(id)).state).toBe('offered');
      expect(textOf(card)).toContain('claim_lead');
      expect((await t.sql.get(`SELECT count(*) AS n FROM outbox WHERE method = 'update_offer_card'`))).toEqual({ n: 0 });
      // Tried again once the database takes writes: it works.
      await refuseClaims(t, false);
      await t.click('U0ALICE', 'claim_lead', card);
      await t.settle();
      expect((await t.lead(id)).state).toBe('claimed');
      expect(textOf(card)).toContain('Claimed by you');
    });

    it('replaces a stale card at once through the click on it, and says where the lead is', async () => {
      const t = await start(store);
      await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      // The offer expires while Slack's chat.update budget is spent: the card still shows Claim.
      t.slack.fail('chat.update', { status: 429, retryAfter: 60 }, { times: Infinity });
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      expect(textOf(card)).toContain('claim_lead');
      const reply = await t.click('U0ALICE', 'claim_lead', card);
      await t.settle();
      expect(textOf(card)).toContain('Expired');
      expect(textOf(card)).not.toContain('claim_lead');
      expect(reply.responses.posts.map((p) => p.body.replace_original === true ? 'replaced' : String(p.body.text))).toEqual(
        expect.arrayContaining(['replaced', expect.stringContaining('Nothing changed: L-1 is already offered to <@U0BOB>')]),
      );
    });

    it('updates the card and confirms ephemerally when the click came from the buttons in /leads', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const list = await t.slack.slashCommand({ command: '/leads', text: '', userId: 'U0ALICE' });
      expect(JSON.stringify(list.body)).toContain('claim_lead');
      const ephemeral = t.slack.ephemerals('U0ALICE').at(-1) as StandInMessage;
      const reply = await t.click('U0ALICE', 'claim_lead', ephemeral);
      await t.settle();
      expect((await t.lead(id)).state).toBe('claimed');
      expect(textOf(t.card('U0ALICE'))).toContain('Claimed by you');
      expect(reply.responses.posts.map((p) => p.body.text)).toEqual(['✅ L-1 is yours.']);
    });

    it('replaces the card through the response_url while Slack takes it, and falls back to chat.update after 5 uses', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      await t.click('U0ALICE', 'claim_lead', card);
      await t.settle();
      // A manager hands the lead around: each change of Alice's card goes through her click's URL…
      const updatesOfCard = () => t.slack.callsTo('chat.update').filter((c) => c.args.ts === card.ts).length;
      const replaced = () => t.slack.responseUrlPosts.filter((p) => p.body.replace_original === true && p.status === 200).length;
      for (const [n, rep] of [['2', 'U0BOB'], ['3', 'U0CAROL'], ['4', 'U0BOB'], ['5', 'U0CAROL']] as const) {
        await t.command('U0MGR', '/reassign', `L-${id} <@${rep}|${rep}>`);
        await t.bot.outbox.drain();
        expect(replaced()).toBe(Number(n));
        expect(textOf(card)).toContain(`Since reassigned to <@${rep}>`);
      }
      expect(updatesOfCard()).toBe(0);
      // …five times, as Slack allows; the sixth change is carried by chat.update.
      await t.command('U0MGR', '/reassign', `L-${id} <@U0BOB|bob>`);
      await t.bot.outbox.drain();
      expect(replaced()).toBe(5);
      expect(updatesOfCard()).toBe(1);
      expect(textOf(card)).toContain('Since reassigned to <@U0BOB>');
    });

    it('falls back to chat.update once the click is 30 minutes old', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.card('U0ALICE');
      await t.click('U0ALICE', 'claim_lead', card);
      await t.settle();
      t.clock.advance(31 * MINUTE);
      await t.command('U0MGR', '/reassign', `L-${id} <@U0BOB|bob>`);
      await t.bot.outbox.drain();
      expect(t.slack.callsTo('chat.update').filter((c) => c.args.ts === card.ts && c.ok)).toHaveLength(1);
      expect(t.slack.responseUrlPosts.filter((p) => p.body.replace_original === true)).toHaveLength(1);
      expect(textOf(card)).toContain('Claimed by you');
      expect(textOf(card)).toContain('Since reassigned to <@U0BOB>');
    });
  });
});
