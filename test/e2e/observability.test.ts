import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HARNESS_WEBHOOK_SECRET, describeEachStore, startHarness, useHarnessCleanup, type Harness } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { eventually } from '../support/eventually.ts';
import { sampleValue, samplesNamed } from '../support/promText.ts';
import type { StandInMessage } from '../../src/sandbox/slackWorkspace.ts';

const MINUTE = 60_000;

const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, remind_at: 50%, max_offers: 2 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice, email: alice@example.com }
  - { id: U0BOB, name: Bob }
  - { id: U0CAROL, name: Carol }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
  - { id: backup, manager: U0MGR, members: [U0CAROL] }
sequences:
  - { id: nurture, channel: C0NURTURE }
rules:
  - { name: Cold lead, when: { score: { lt: 30 } }, route: { sequence: nurture } }
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`;

/** A lead full of personal data that must never reach an info log line. */
const JANE = {
  source: 'form',
  email: 'Jane.Doe@Acme-Widgets.com',
  phone: '+1 555 0100',
  name: 'Jane Doe',
  message: 'We need 300 seats by Q3, call my cell',
  linkedin_url: 'https://www.linkedin.com/in/jane-doe-acme/',
  company: { name: 'Acme Widgets' },
  score: 70,
};
const PII = ['jane.doe', 'Jane Doe', '555 0100', '5550100', '300 seats', 'call my cell', 'jane-doe-acme'];

/** Another lead like Jane, with its own e-mail and LinkedIn URL (so it is not a duplicate). */
const janeNo = (n: string, fields: Record<string, unknown> = {}) => ({ ...JANE, email: `${n}.jane.doe@acme-widgets.com`, linkedin_url: `https://www.linkedin.com/in/jane-doe-acme-${n}/`, ...fields });

useHarnessCleanup();

async function start(store: StoreKind, options: { configYaml?: string } = {}) {
  const t = await startHarness({ store, configYaml: options.configYaml ?? CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'], logLevel: 'info' });
  return {
    ...t,
    card: (userId: string) => t.slack.lastMessage(userId) as StandInMessage,
    async click(userId: string, actionId: 'claim_lead' | 'pass_lead') {
      const card = t.slack.lastMessage(userId) as StandInMessage;
      await t.slack.blockAction({ userId, actionId, message: { channel: card.channel, ts: card.ts } });
    },
    /** The state-change lines of one lead, in order. */
    lines: (id: number) => t.logs().filter((line) => line.lead === `L-${id}` && typeof line.event === 'string'),
    eventsLogged: (id: number) => t.logs().filter((line) => line.lead === `L-${id}`).map((line) => line.event),
    async signal(body: unknown) {
      const response = await fetch(`${t.baseUrl}/signals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${HARNESS_WEBHOOK_SECRET}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(202);
      await t.bot.outbox.drain();
    },
  };
}

/** No line of the log, at any level it was written at, holds the lead's personal data. */
function expectNoPersonalData(t: Harness) {
  const text = t.logLines().join('').toLowerCase();
  for (const secret of PII) expect(text).not.toContain(secret.toLowerCase());
}

describeEachStore('observability', (store) => {
  describe('structured logs', () => {
    it('writes one info line per state change of a lead, with its reference, through offer, pass, expiry, escalation, assignment, reassignment and done', async () => {
      const t = await start(store);
      const id = await t.postLead(JANE);
      t.clock.advance(2.5 * MINUTE);
      await t.bot.lifecycle.remindDue();
      await t.bot.outbox.drain();
      await t.click('U0ALICE', 'pass_lead');
      await eventually(async () => (await t.pendingRep(id)) === 'U0BOB');
      await t.bot.outbox.drain();
      const again = await t.sendLead({ ...JANE, source: 'linkedin' });
      expect(again.status).toBe(200);
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      const escalation = t.slack.lastMessage('C0ESCALATE') as StandInMessage;
      await t.slack.blockAction({ userId: 'U0MGR', actionId: 'assign_lead', message: { channel: 'C0ESCALATE', ts: escalation.ts }, selectedUser: 'U0CAROL' });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      expect(await t.command('U0MGR', '/reassign', `L-${id} <@U0ALICE|alice> Jane Doe asked for Alice, call my cell`)).toContain('now belongs to');
      expect(await t.command('U0ALICE', '/leads', `done L-${id}`)).toBeTruthy();
      await eventually(async () => (await t.lead(id)).state === 'done');

      expect(t.eventsLogged(id)).toEqual([
        'lead.received',
        'lead.offered',
        'lead.reminded',
        'lead.passed',
        'lead.offered',
        'lead.duplicate',
        'lead.expired',
        'lead.escalated',
        'lead.assigned',
        'lead.reassigned',
        'lead.done',
      ]);
      const lines = t.lines(id);
      expect(lines.every((line) => line.level === 30 && line.msg === String(line.event).replace('.', ' '))).toBe(true);
      expect(lines[0]).toMatchObject({ event: 'lead.received', by: 'api', source: 'form' });
      expect(lines[1]).toMatchObject({ event: 'lead.offered', rep: 'U0ALICE', attempt: 1, rule: 'Everyone', team: 'sdr' });
      expect(lines[3]).toMatchObject({ event: 'lead.passed', by: 'U0ALICE', rep: 'U0ALICE', offer: 'passed' });
      expect(lines[4]).toMatchObject({ event: 'lead.offered', rep: 'U0BOB', attempt: 2 });
      expect(lines[5]).toMatchObject({ event: 'lead.duplicate', source: 'linkedin', reason: 'email' });
      expect(lines[6]).toMatchObject({ event: 'lead.expired', by: 'system', rep: 'U0BOB', offer: 'expired' });
      expect(lines[7]).toMatchObject({ event: 'lead.escalated', reason: 'max_offers' });
      expect(lines[8]).toMatchObject({ event: 'lead.assigned', by: 'U0MGR', rep: 'U0CAROL', first_owner: true });
      expect(lines[9]).toMatchObject({ event: 'lead.reassigned', by: 'U0MGR', rep: 'U0ALICE', from: 'U0CAROL' });
      expect(lines[9]).not.toHaveProperty('first_owner');
      expect(lines[10]).toMatchObject({ event: 'lead.done', by: 'U0ALICE', rep: 'U0ALICE' });
      expectNoPersonalData(t);
    });

    it('logs claims, signals, offers withdrawn by /away, sequences and the holding queue the same way', async () => {
      const t = await start(store);
      const claimed = await t.postLead(janeNo('one'));
      await t.click('U0ALICE', 'claim_lead');
      await eventually(async () => (await t.lead(claimed)).state === 'claimed');
      await t.signal({ lead: { ref: `L-${claimed}` }, channel: 'email', kind: 'reply' });

      const withdrawn = await t.postLead(janeNo('two'));
      const holder = (await t.pendingRep(withdrawn)) as string;
      await t.command(holder, '/away', '');
      await t.bot.outbox.drain();

      const sequenced = await t.postLead(janeNo('three', { score: 10 }));
      await t.command('U0MGR', '/away', `<@${holder === 'U0ALICE' ? 'U0BOB' : 'U0ALICE'}> 1h`);
      const queued = await t.postLead(janeNo('four'));

      expect(t.eventsLogged(claimed)).toEqual(['lead.received', 'lead.offered', 'lead.claimed', 'lead.signal']);
      expect(t.lines(claimed)[2]).toMatchObject({ by: 'U0ALICE', rep: 'U0ALICE', offer: 'claimed', first_owner: true });
      expect(t.lines(claimed)[3]).toMatchObject({ channel: 'email', kind: 'reply', by: 'api' });
      // The other rep going away too takes the lead from them, and nobody is left: it waits in the queue.
      expect(t.eventsLogged(withdrawn)).toEqual(['lead.received', 'lead.offered', 'lead.withdrawn', 'lead.offered', 'lead.withdrawn', 'lead.queued']);
      expect(t.lines(withdrawn)[2]).toMatchObject({ by: holder, rep: holder, reason: 'away', offer: 'withdrawn' });
      expect(t.lines(withdrawn)[4]).toMatchObject({ by: 'U0MGR', reason: 'away', offer: 'withdrawn' });
      expect(t.eventsLogged(sequenced)).toEqual(['lead.received', 'lead.sequenced']);
      expect(t.lines(sequenced)[1]).toMatchObject({ rule: 'Cold lead', sequence: 'nurture' });
      expect(t.eventsLogged(queued)).toEqual(['lead.received', 'lead.queued']);
      expect(t.lines(queued)[1]).toMatchObject({ team: 'sdr', reason: 'nobody_eligible' });
      expect(t.logs().filter((line) => line.event === 'rep.away').map((line) => line.rep)).toHaveLength(2);
      expectNoPersonalData(t);
    });

    it('writes no state-change lines at warn level', async () => {
      const t = await startHarness({ store, configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'], logLevel: 'warn' });
      await t.postLead(JANE);
      expect(t.logs().filter((line) => typeof line.event === 'string' && String(line.event).startsWith('lead.'))).toEqual([]);
    });
  });

  /** A webhook receiver answering `status` until told otherwise. */
  async function startReceiver(): Promise<{ server: Server; host: string; url: string; status: number; received: number }> {
    const state = { server: undefined as unknown as Server, host: '', url: '', status: 503, received: 0 };
    state.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        state.received += 1;
        res.writeHead(state.status).end();
      });
    });
    await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
    state.host = `127.0.0.1:${(state.server.address() as AddressInfo).port}`;
    state.url = `http://${state.host}/crm?token=s3cret`;
    return state;
  }

  describe('GET /metrics', () => {
    it('counts leads by source and status, lead events, offers by outcome, and times the first offer and the claim on the injected clock', async () => {
      const t = await start(store);
      const first = await t.postLead(janeNo('one'));
      await t.postLead(janeNo('two', { source: 'linkedin' }));
      expect((await t.sendLead({ ...janeNo('one'), email: 'ONE.jane.doe@acme-widgets.com', source: 'email' })).status).toBe(200);
      expect((await t.sendLead({ source: 'whatsapp', name: 'No contact' })).status).toBe(400);
      expect((await t.sendLead({ source: 'carrier-pigeon' })).status).toBe(400);

      t.clock.advance(72_000);
      await t.click('U0ALICE', 'claim_lead');
      await eventually(async () => (await t.lead(first)).state === 'claimed');
      await t.click('U0BOB', 'pass_lead');
      await eventually(async () => (await t.events(2)).includes('passed'));
      await t.bot.outbox.drain();

      const text = await t.metrics();
      expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'linkedin', status: 'accepted' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'email', status: 'duplicate' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'whatsapp', status: 'invalid' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_leads_received_total', { source: 'unknown', status: 'invalid' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_lead_events_total', { event: 'lead.received' })).toBe(2);
      expect(sampleValue(text, 'leadrelay_lead_events_total', { event: 'lead.offered' })).toBe(3);
      expect(sampleValue(text, 'leadrelay_offers_total', { outcome: 'claimed' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_offers_total', { outcome: 'passed' })).toBe(1);
      expect(sampleValue(text, 'leadrelay_offers_total', { outcome: 'expired' })).toBe(0);
      // Both leads were offered the moment they arrived; the second lead's re-offer after the pass is not a first offer.
      expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_count')).toBe(2);
      expect(sampleValue(text, 'leadrelay_time_to_first_offer_seconds_sum')).toBe(0);
      expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_count')).toBe(1);
      expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_sum')).toBe(72);
      expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_bucket', { le: '60' })).toBe(0);
      expect(sampleValue(text, 'leadrelay_time_to_claim_seconds_bucket', { le: '120' })).toBe(1);
    });

    it('counts Slack calls by method and code exactly as Slack answered them, errors included', async () => {
      const t = await start(store);
      t.slack.fail('chat.postMessage', { status: 429, retryAfter: 2 });
      await t.postLead(JANE);
      t.clock.advance(2000);
      await t.bot.outbox.drain();
      // The click's answer: its response_url fails once; the retry goes through.
      t.slack.fail('response_url', { status: 503 });
      await t.click('U0ALICE', 'claim_lead');
      await eventually(async () => (await t.lead(1)).state === 'claimed');
      await t.bot.outbox.drain();
      t.clock.advance(1000);
      await t.bot.outbox.drain();

      // Every call the stand-in answered is counted once, under its method and code.
      const code = (c: { status: number; ok: boolean; response: Record<string, unknown> }) =>
        c.status === 429 ? 'ratelimited' : c.status !== 200 ? `http_${c.status}` : c.ok ? 'ok' : String(c.response.error);
      const expected = new Map<string, number>();
      const count = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
      for (const call of t.slack.calls) count(`${call.method} ${code(call)}`);
      for (const post of t.slack.responseUrlPosts) count(`response_url ${post.status === 200 ? 'ok' : `http_${post.status}`}`);
      const counted = async () => {
        const text = await t.metrics();
        return new Map(samplesNamed(text, 'leadrelay_slack_api_calls_total').map((s) => [`${s.labels.method} ${s.labels.code}`, s.value]));
      };
      // Bolt's own calls are counted when their answer has been read: give that a turn of the event loop.
      await eventually(async () => JSON.stringify([...(await counted())].sort()) === JSON.stringify([...expected].sort()));
      const final = await counted();
      expect(final.get('chat.postMessage ratelimited')).toBe(1);
      expect(final.get('response_url http_503')).toBe(1);
      expect(final.get('response_url ok')).toBe(1);
      expect(final.get('chat.postMessage ok')).toBeGreaterThanOrEqual(1);
      expect(final.get('auth.test ok')).toBeGreaterThanOrEqual(1);
    });

    it('shows the outbox backlog and its age, the leads waiting and the holding queue, read at scrape time', async () => {
      const t = await start(store);
      await t.command('U0ALICE', '/away', '');
      await t.command('U0BOB', '/away', '');
      await t.bot.outbox.drain();
      const response = await t.sendLead(JANE);
      expect(response.status).toBe(202);
      await eventually(async () => (await t.lead(1)).state === 'queued');
      t.clock.advance(30_000);

      const before = await t.metrics();
      expect(sampleValue(before, 'leadrelay_outbox_pending')).toBeGreaterThanOrEqual(1);
      expect(sampleValue(before, 'leadrelay_outbox_oldest_age_seconds')).toBe(30);
      expect(sampleValue(before, 'leadrelay_queue_length')).toBe(1);
      expect(sampleValue(before, 'leadrelay_leads_waiting', { state: 'queued' })).toBe(1);
      expect(sampleValue(before, 'leadrelay_leads_waiting', { state: 'offered' })).toBe(0);

      await t.bot.outbox.drain();
      await t.command('U0BOB', '/away', 'off');
      await t.bot.outbox.drain();
      const after = await t.metrics();
      expect(sampleValue(after, 'leadrelay_outbox_pending')).toBe(0);
      expect(sampleValue(after, 'leadrelay_outbox_oldest_age_seconds')).toBe(0);
      expect(sampleValue(after, 'leadrelay_queue_length')).toBe(0);
      expect(sampleValue(after, 'leadrelay_leads_waiting', { state: 'offered' })).toBe(1);
    });

    it('makes a webhook receiver that keeps failing visible by host (as /healthz does), and counts its attempts', async () => {
      const receiver = await startReceiver();
      try {
        const t = await start(store, { configYaml: `${CONFIG}webhooks:\n  - { url: "${receiver.url}", events: [lead.claimed] }\n` });
        await t.postLead(JANE);
        await t.click('U0ALICE', 'claim_lead');
        await eventually(async () => (await t.lead(1)).state === 'claimed');
        await t.bot.outbox.drain();
        expect(receiver.received).toBe(1);
        t.clock.advance(90_000);
        await t.bot.outbox.drain();
        expect(receiver.received).toBe(2);

        const failing = await t.metrics();
        expect(sampleValue(failing, 'leadrelay_webhook_deliveries_total', { host: receiver.host, event: 'lead.claimed', outcome: 'retry' })).toBe(2);
        expect(sampleValue(failing, 'leadrelay_webhook_failing_deliveries', { host: receiver.host })).toBe(1);
        expect(sampleValue(failing, 'leadrelay_webhook_failing_seconds', { host: receiver.host })).toBe(90);
        expect(failing).not.toContain('s3cret');
        const health = (await (await fetch(`${t.baseUrl}/healthz`)).json()) as { webhooks_failing: { failing_for_seconds: number }[] };
        expect(health.webhooks_failing).toMatchObject([{ pending: 1, failing_for_seconds: 90 }]);

        receiver.status = 200;
        t.clock.advance(5 * MINUTE);
        await t.bot.outbox.drain();
        const recovered = await t.metrics();
        expect(sampleValue(recovered, 'leadrelay_webhook_deliveries_total', { host: receiver.host, event: 'lead.claimed', outcome: 'ok' })).toBe(1);
        expect(samplesNamed(recovered, 'leadrelay_webhook_failing_deliveries')).toEqual([]);
      } finally {
        receiver.server.close();
      }
    });

    it('keeps the metrics of two bots in one process apart', async () => {
      const a = await start(store);
      const b = await start(store);
      await a.postLead(JANE);
      expect(sampleValue(await a.metrics(), 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(1);
      expect(sampleValue(await b.metrics(), 'leadrelay_leads_received_total', { source: 'form', status: 'accepted' })).toBe(0);
    });

    it('is served in the Prometheus text format next to /healthz, without the webhook secret', async () => {
      const t = await start(store);
      const response = await fetch(`${t.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await response.text()).toMatch(/^# HELP leadrelay_info /m);
    });
  });
});
