import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookAuth } from '../../src/adapters/http/webhookSignature.ts';
import { describeEachStore, onDatabase, startHarness, testDatabase, useHarnessCleanup } from '../support/botHarness.ts';
import { eventually } from '../support/eventually.ts';

const CRM_SECRET = 'crm-hook-secret';
const MINUTE = 60_000;

interface Delivery {
  body: { event: string; lead: { ref: string; external_id: string | null }; owner: { slack_id: string; email: string | null } | null; timings: Record<string, unknown> };
  signed: boolean;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});
useHarnessCleanup();

/**
 * A CRM receiver on loopback that checks the signature; `failFirst` answers 503 that many times
 * first, and `down` (settable) answers 503 to everything while true.
 */
async function startCrm(now: () => number, failFirst = 0) {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const state = { down: false, refused: 0 };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0 || state.down) {
        failures = Math.max(0, failures - 1);
        state.refused += 1;
        res.writeHead(503).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const auth = verifyWebhookAuth({ timestamp: req.headers['x-leadrelay-timestamp'] as string, signature: req.headers['x-leadrelay-signature'] as string }, raw, CRM_SECRET, Math.floor(now() / 1000));
      deliveries.push({ body: JSON.parse(raw.toString()) as Delivery['body'], signed: auth.ok });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/hooks/leadrelay`, deliveries, state };
}

const config = (url: string) => `
timezone: UTC
sla: { claim_within: 5m, max_offers: 1 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice, email: alice@example.com }
  - { id: U0BOB, name: Bob, email: bob@example.com }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
webhooks:
  - { url: "${url}", secret: ${CRM_SECRET} }
`;

describeEachStore('CRM write-back', (store) => {
  describe('CRM write-back webhooks', () => {
    it('sends signed lead.claimed, lead.reassigned and lead.done with the owner and timings', async () => {
      let clockNow = () => Date.now();
      const crm = await startCrm(() => clockNow());
      const t = await startHarness({ store, configYaml: config(crm.url) });
      clockNow = () => t.clock.now();
      const id = await t.postLead({ email: 'jane@acme.com', external_id: 'hs-9912', crm_url: 'https://crm.example.com/leads/9912' });
      const card = t.slack.lastMessage('U0ALICE')!;
      t.clock.advance(MINUTE);
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      t.clock.advance(MINUTE);
      await t.command('U0ALICE', '/reassign', `L-${id} <@U0BOB>`);
      await t.command('U0BOB', '/leads', `done L-${id}`);
      // On PostgreSQL a drain can end while the lane's earlier delivery is still being recorded on
      // another connection (the next one is not due until then): drain until the three are out.
      await eventually(async () => {
        await t.bot.outbox.drain();
        return crm.deliveries.length >= 3;
      });
      expect(crm.deliveries.map((d) => d.body.event)).toEqual(['lead.claimed', 'lead.reassigned', 'lead.done']);
      expect(crm.deliveries.every((d) => d.signed)).toBe(true);
      expect(crm.deliveries[0]?.body).toMatchObject({
        lead: { ref: `L-${id}`, external_id: 'hs-9912', crm_url: 'https://crm.example.com/leads/9912' },
        owner: { slack_id: 'U0ALICE', email: 'alice@example.com' },
        timings: { seconds_to_claim: 60, seconds_to_first_offer: 0 },
      });
      expect(crm.deliveries[1]?.body.owner).toEqual({ slack_id: 'U0BOB', email: 'bob@example.com' });
      // The reassignment a minute later moves who owns it and since when, not the time to claim.
      const claimedAt = new Date(Date.parse('2026-11-24T14:00:00Z') + MINUTE).toISOString();
      expect(crm.deliveries[1]?.body.timings).toMatchObject({ claimed_at: claimedAt, seconds_to_claim: 60, owner_since: new Date(Date.parse(claimedAt) + MINUTE).toISOString() });
      expect(crm.deliveries[2]?.body.timings).toMatchObject({ claimed_at: claimedAt, seconds_to_claim: 60 });
    });

    it('sends lead.escalated and lead.assigned, retrying a failing receiver until it answers', async () => {
      let clockNow = () => Date.now();
      const crm = await startCrm(() => clockNow(), 2);
      const t = await startHarness({ store, configYaml: config(crm.url) });
      clockNow = () => t.clock.now();
      const id = await t.postLead({ email: 'jane@acme.com' });
      t.clock.advance(5 * MINUTE);
      await t.bot.deadlines.expireDue();
      await t.bot.outbox.drain();
      expect(crm.deliveries).toEqual([]);
      const health = (await (await fetch(`${t.baseUrl}/healthz`)).json()) as { status: string; webhooks_failing: { url: string; pending: number; last_error: string }[] };
      expect(health.status).toBe('ok');
      expect(health.webhooks_failing).toEqual([{ url: crm.url, pending: 1, failing_for_seconds: 0, last_error: expect.stringContaining('HTTP 503') }]);
      for (let i = 0; i < 3; i += 1) {
        t.clock.advance(10_000);
        await t.bot.outbox.drain();
      }
      expect(crm.deliveries.map((d) => d.body.event)).toEqual(['lead.escalated']);
      expect(((await (await fetch(`${t.baseUrl}/healthz`)).json()) as { webhooks_failing: unknown[] }).webhooks_failing).toEqual([]);
      const escalation = t.slack.lastMessage('C0ESCALATE')!;
      await t.slack.blockAction({ userId: 'U0MGR', actionId: 'assign_lead', message: { channel: 'C0ESCALATE', ts: escalation.ts }, selectedUser: 'U0BOB' });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      await t.bot.outbox.drain();
      expect(crm.deliveries.map((d) => d.body.event)).toEqual(['lead.escalated', 'lead.assigned']);
      expect(crm.deliveries[1]?.body.owner).toEqual({ slack_id: 'U0BOB', email: 'bob@example.com' });
    });

    it('delivers, after a new start, the deliveries that were still waiting in the outbox when the bot stopped', async () => {
      let clockNow = () => Date.now();
      const crm = await startCrm(() => clockNow());
      const database = await testDatabase(store);
      const first = await startHarness({ store, configYaml: config(crm.url), database });
      clockNow = () => first.clock.now();
      crm.state.down = true;
      const id = await first.postLead({ email: 'jane@acme.com', external_id: 'hs-1' });
      const card = first.slack.lastMessage('U0ALICE')!;
      await first.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await first.lead(id)).state === 'claimed');
      await first.command('U0ALICE', '/leads', `done L-${id}`);
      await first.bot.outbox.drain();
      expect(crm.state.refused).toBeGreaterThan(0);
      expect(crm.deliveries).toEqual([]);
      await first.stop();

      const waiting = await onDatabase(database, ({ sql }) => sql.all(`SELECT method FROM outbox WHERE kind = 'webhook' AND state = 'pending' ORDER BY id`));
      expect(waiting).toEqual([{ method: 'lead.claimed' }, { method: 'lead.done' }]);

      crm.state.down = false;
      const second = await startHarness({ store, configYaml: config(crm.url), database, slack: first.slack, clock: first.clock });
      second.clock.advance(10_000);
      await second.bot.outbox.drain();
      expect(crm.deliveries.map((d) => [d.body.event, d.body.lead.ref, d.signed])).toEqual([
        ['lead.claimed', `L-${id}`, true],
        ['lead.done', `L-${id}`, true],
      ]);
    });

    it("never holds a rep's card back while the CRM is down: Slack and each receiver are separate lanes", async () => {
      let clockNow = () => Date.now();
      const crm = await startCrm(() => clockNow());
      const t = await startHarness({ store, configYaml: config(crm.url) });
      clockNow = () => t.clock.now();
      crm.state.down = true;
      const id = await t.postLead({ email: 'jane@acme.com' });
      const card = t.slack.lastMessage('U0ALICE')!;
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      await t.bot.outbox.drain();
      // The card shows the claim although lead.claimed is still waiting for the CRM.
      expect(t.slack.message('U0ALICE', card.ts)?.text).toMatch(/claimed/i);
      await t.command('U0ALICE', '/leads', `done L-${id}`);
      await t.bot.outbox.drain();
      expect(crm.deliveries).toEqual([]);
      expect(crm.state.refused).toBeGreaterThan(0);
      // The CRM's own events stay in order: lead.done waits behind lead.claimed.
      crm.state.down = false;
      for (let i = 0; i < 3; i += 1) {
        t.clock.advance(10_000);
        await t.bot.outbox.drain();
      }
      expect(crm.deliveries.map((d) => d.body.event)).toEqual(['lead.claimed', 'lead.done']);
    });
  });
});
