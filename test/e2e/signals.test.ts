import { describe, expect, it } from 'vitest';
import { HARNESS_WEBHOOK_SECRET, describeEachStore, startHarness, useHarnessCleanup, type Harness } from '../support/botHarness.ts';
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
  - { id: senior, manager: U0MGR, members: [U0CAROL] }
sequences:
  - { id: nurture, channel: C0NURTURE }
rules:
  - { name: Cold lead, when: { score: { lt: 30 } }, route: { sequence: nurture } }
  - { name: Everyone, route: { team: sdr } }
signals:
  - { name: Positive reply, when: { kind: reply_positive }, route: { team: sdr } }
  - { name: Engaged on LinkedIn, when: { kind: profile_view, channel: linkedin, count: { gte: 3 }, within: 48h }, route: { team: senior } }
fallback: { team: sdr }
`;

useHarnessCleanup();

async function start(store: StoreKind) {
  const h = await startHarness({ store, configYaml: CONFIG });
  const signal = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}` }) => {
    const response = await fetch(`${h.baseUrl}/signals`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const result = { status: response.status, body: (await response.json()) as Record<string, unknown> };
    await h.bot.outbox.drain();
    return result;
  };
  const signalCount = async () => ((await h.sql.get('SELECT count(*) AS n FROM signals')) as { n: number }).n;
  return { ...h, signal, signalCount };
}

const coldLead = { email: 'Jane@Acme.com', linkedin_url: 'https://www.linkedin.com/in/janedoe/', external_id: 'hs-1', score: 10, name: 'Jane Doe' };

describeEachStore('signals', (store) => {
  describe('POST /signals', () => {
    it.each([
      ['email', { email: ' JANE@acme.com ' }],
      ['LinkedIn URL', { linkedin_url: 'linkedin.com/in/JaneDoe' }],
      ['external id', { external_id: 'hs-1' }],
      ['reference', { ref: 'l-1' }],
    ])('finds the lead by %s and stores the signal', async (_what, lead) => {
      const t = await start(store);
      await t.postLead(coldLead);
      const response = await t.signal({ lead, channel: 'email', kind: 'email_open' });
      expect(response).toEqual({ status: 202, body: { lead: 'L-1', status: 'accepted', rule: null } });
      expect((await t.sql.all('SELECT lead_id, channel, kind FROM signals'))).toEqual([{ lead_id: 1, channel: 'email', kind: 'email_open' }]);
    });

    it('answers 404 for an unknown lead and stores nothing', async () => {
      const t = await start(store);
      expect(await t.signal({ lead: { email: 'nobody@acme.com' }, channel: 'email', kind: 'reply' })).toMatchObject({ status: 404, body: { error: 'lead_not_found' } });
      expect((await t.signalCount())).toBe(0);
    });

    it('answers 400 with field paths for bad input, and 401 without credentials', async () => {
      const t = await start(store);
      await t.postLead(coldLead);
      const bad = await t.signal({ lead: {}, channel: 'fax', kind: 'wave', at: 'yesterday', extra: 1 });
      expect(bad.status).toBe(400);
      expect((bad.body.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(['at', 'channel', 'extra', 'kind', 'lead']);
      expect((await t.signal({ lead: { ref: 'L-1' }, channel: 'email', kind: 'reply' }, {})).status).toBe(401);
      expect((await t.signalCount())).toBe(0);
    });

    it('records a signal with the same id once', async () => {
      const t = await start(store);
      await t.postLead(coldLead);
      expect((await t.signal({ id: 'evt-1', lead: { ref: 'L-1' }, channel: 'linkedin', kind: 'profile_view' })).status).toBe(202);
      expect(await t.signal({ id: 'evt-1', lead: { ref: 'L-1' }, channel: 'linkedin', kind: 'profile_view' })).toEqual({ status: 200, body: { lead: 'L-1', status: 'duplicate' } });
      expect((await t.signalCount())).toBe(1);
    });
  });

  describe('signal rules', () => {
    async function inNurture(t: Harness) {
      const id = await t.postLead(coldLead);
      expect((await t.lead(id)).state).toBe('in_sequence');
      return id;
    }

    it('takes a lead out of its sequence on a positive reply and offers it to a rep, the trace naming the rule', async () => {
      const t = await start(store);
      const id = await inNurture(t);
      const response = await t.signal({ lead: { email: 'jane@acme.com' }, channel: 'linkedin', kind: 'reply_positive' });
      expect(response.body).toMatchObject({ rule: 'Positive reply' });
      expect((await t.lead(id)).state).toBe('offered');
      expect((await t.pendingRep(id))).toBe('U0ALICE');
      expect(JSON.parse(((await t.sql.get('SELECT trace FROM leads WHERE id = ?', id)) as { trace: string }).trace)).toMatchObject({ fired: { name: 'signal: Positive reply' } });
      expect((await t.events(id))).toEqual(expect.arrayContaining(['signal', 'signal_rule', 'routed', 'offered']));
    });

    it('fires a count rule on the third LinkedIn profile view within 48 h, not before', async () => {
      const t = await start(store);
      const id = await inNurture(t);
      const view = () => t.signal({ lead: { ref: `L-${id}` }, channel: 'linkedin', kind: 'profile_view' });
      expect((await view()).body.rule).toBeNull();
      await t.signal({ lead: { ref: `L-${id}` }, channel: 'web', kind: 'profile_view' });
      expect((await view()).body.rule).toBeNull();
      expect((await t.lead(id)).state).toBe('in_sequence');
      expect((await view()).body.rule).toBe('Engaged on LinkedIn');
      expect((await t.pendingRep(id))).toBe('U0CAROL');
    });

    it('does not count views older than the window', async () => {
      const t = await start(store);
      const id = await inNurture(t);
      const view = () => t.signal({ lead: { ref: `L-${id}` }, channel: 'linkedin', kind: 'profile_view' });
      await view();
      await view();
      t.clock.advance(49 * HOUR);
      expect((await view()).body.rule).toBeNull();
      expect((await t.lead(id)).state).toBe('in_sequence');
    });

    it("tells the rep holding an offer in the card's thread and marks the card urgent", async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'joe@beta.io', name: 'Joe' });
      const card = t.slack.lastMessage('U0ALICE')!;
      await t.signal({ lead: { ref: `L-${id}` }, channel: 'linkedin', kind: 'reply_positive' });
      expect(t.slack.thread('U0ALICE', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('replied positively on LinkedIn: call now')]);
      expect(JSON.stringify(t.slack.lastMessage('U0ALICE')?.blocks)).toContain('Urgent');
      expect((await t.pendingRep(id))).toBe('U0ALICE');
    });

    it('tells the owner of a claimed lead', async () => {
      const t = await start(store);
      const id = await t.postLead({ email: 'joe@beta.io' });
      const card = t.slack.lastMessage('U0ALICE')!;
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      await t.signal({ lead: { ref: `L-${id}` }, channel: 'whatsapp', kind: 'meeting_booked' });
      expect(t.slack.thread('U0ALICE', card.ts).map((m) => m.text)).toEqual([expect.stringContaining('booked a meeting on WhatsApp')]);
    });
  });
});
