import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import type { Lead } from '../../src/domain/lead.ts';
import type { RoutingTrace } from '../../src/domain/routing/index.ts';
import { configFrom, describeEachStore, HARNESS_WEBHOOK_SECRET, onDatabase, startHarness, testDatabase, useHarnessCleanup, type Harness, type HarnessDatabase } from '../support/botHarness.ts';
import type { StoreKind } from '../../src/adapters/storeBackend.ts';
import { useTempDir } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { startFakeEnricher, type EnricherReply, type EnricherRequest, type FakeEnricher } from '../support/fakeEnricher.ts';

const temp = useTempDir('leadrelay-enrich-');
useHarnessCleanup();
let enricher: FakeEnricher | undefined;
afterEach(async () => {
  await enricher?.close();
  enricher = undefined;
});

const COMPANIES = 'domain,name,employees,industry,country\nacme.de,Acme GmbH,1200,Software,DE\nglobex.com,Globex,80,,US\n';

/** Territory and plan rules; the fallback is the SDR team. */
function yaml(companiesPath: string, webhook?: string): string {
  return `
timezone: UTC
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
  - { id: U0CAROL, name: Carol }
teams:
  - { id: emea, manager: U0MGR, members: [U0ALICE] }
  - { id: enterprise, manager: U0MGR, members: [U0CAROL] }
  - { id: sdr, manager: U0MGR, members: [U0BOB] }
rules:
  - name: EMEA territory
    when: { company.country: { in: [DE, FR, GB] } }
    route: { team: emea }
  - name: Enterprise plan
    when: { fields.plan: enterprise }
    route: { team: enterprise }
fallback: { team: sdr }
enrichment:
  companies: ${companiesPath}
${webhook ? `  webhook: ${webhook}\n` : ''}`;
}

const storedLead = async (t: Harness, id: number) => {
  const row = (await t.sql.get('SELECT payload, domain, enrichment, trace FROM leads WHERE id = ?', id)) as { payload: string; domain: string | null; enrichment: string | null; trace: string };
  return { lead: JSON.parse(row.payload) as Lead, domain: row.domain, enrichment: JSON.parse(row.enrichment ?? 'null') as unknown, trace: JSON.parse(row.trace) as RoutingTrace };
};

/** A harness whose config points at a fresh companies.csv and, when given, the fake enricher, with `timeoutMs` set directly. */
async function start(store: StoreKind, options: { reply?: (request: EnricherRequest) => EnricherReply; timeoutMs?: number; database?: HarnessDatabase } = {}) {
  const companies = temp.file('companies.csv', COMPANIES);
  const clock = new FakeClock('2026-11-24T14:00:00Z');
  if (options.reply) enricher = await startFakeEnricher({ secret: HARNESS_WEBHOOK_SECRET, now: () => clock.now(), reply: options.reply });
  const config = configFrom(yaml(companies, enricher?.url));
  const enrichment = config.enrichment ? { ...config.enrichment, timeout: options.timeoutMs ?? config.enrichment.timeout } : undefined;
  const t = await startHarness({ store, config: { ...config, enrichment }, clock, ...(options.database ? { database: options.database } : {}) });
  return { t, companies };
}

describeEachStore('enrichment', (store) => {
  describe('enrichment before routing', () => {
    it('routes a lead that arrived without a country by the territory rule, once the company table filled it in', async () => {
      const { t } = await start(store);
      const id = await t.postLead({ email: 'jane@acme.de', name: 'Jane Doe', score: 50 });
      expect((await t.pendingRep(id))).toBe('U0ALICE');
      expect((await t.events(id))).toEqual(['received', 'enriched', 'routed', 'offered']);
      const stored = (await storedLead(t, id));
      expect(stored.lead.company).toEqual({ domain: 'acme.de', name: 'Acme GmbH', employees: 1200, industry: 'Software', country: 'DE' });
      expect(stored.trace.enrichment).toEqual(stored.enrichment);
      expect(stored.trace.enrichment).toMatchObject({ companies: { result: 'hit', domain: 'acme.de' } });
      expect(stored.trace.fired).toMatchObject({ by: 'rule', name: 'EMEA territory' });
      // The card shows the company as enriched; /leads L-n the trace saying where it came from.
      expect(JSON.stringify(t.slack.lastMessage('U0ALICE')?.blocks)).toContain('Acme GmbH');
      const details = await t.slack.slashCommand({ command: '/leads', text: `L-${id}`, userId: 'U0MGR' });
      const blocks = JSON.stringify((details.body as { blocks: unknown[] }).blocks);
      expect(blocks).toContain('Enrichment:\\n  company table: acme.de found: filled company.name \\"Acme GmbH\\", company.employees 1200');
      expect(blocks).toContain('*enriched* (company table: hit, filled: company.name (table)');
    });

    it('keeps what the lead says over the table, and keeps the enrichment in the trace of a later re-routing', async () => {
      const { t } = await start(store);
      const id = await t.postLead({ email: 'jane@acme.de', company: { country: 'US' }, score: 50 });
      expect((await t.pendingRep(id))).toBe('U0BOB');
      expect((await storedLead(t, id)).lead.company.country).toBe('US');
      const card = t.slack.lastMessage('U0BOB')!;
      await t.slack.blockAction({ userId: 'U0BOB', actionId: 'pass_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await t.events(id)).includes('passed') && (await t.lead(id)).state === 'queued');
      expect((await t.events(id)).filter((event) => event === 'enriched')).toHaveLength(1);
      expect((await storedLead(t, id)).trace.enrichment).toMatchObject({ companies: { result: 'hit' }, filled: [{ path: 'company.name' }, { path: 'company.employees' }, { path: 'company.industry' }] });
    });

    it('does not look up a free-mail address: the lead is routed with what it says', async () => {
      const { t } = await start(store);
      const id = await t.postLead({ email: 'jane@gmail.com', score: 50 });
      expect((await t.pendingRep(id))).toBe('U0BOB');
      expect((await storedLead(t, id)).trace.enrichment).toEqual({ filled: [], companies: { result: 'no_domain' } });
    });

    it('fills what is still missing from the signed webhook, whose fields can fire a rule', async () => {
      const { t } = await start(store, { reply: () => ({ json: { company: { name: 'Initech', country: 'US' }, fields: { plan: 'enterprise' } } }) });
      const id = await t.postLead({ email: 'bo@initech.io', score: 50 });
      expect((await t.pendingRep(id))).toBe('U0CAROL');
      expect(enricher?.requests).toEqual([{ signed: true, body: { lead: expect.objectContaining({ ref: `L-${id}`, email: 'bo@initech.io' }) } }]);
      const stored = (await storedLead(t, id));
      expect(stored.lead).toMatchObject({ company: { domain: 'initech.io', name: 'Initech', country: 'US' }, fields: { plan: 'enterprise' } });
      expect(stored.trace.enrichment).toEqual({
        companies: { result: 'miss', domain: 'initech.io' },
        webhook: { result: 'answered' },
        filled: [
          { path: 'company.name', value: 'Initech', from: 'webhook' },
          { path: 'company.country', value: 'US', from: 'webhook' },
          { path: 'fields.plan', value: 'enterprise', from: 'webhook' },
        ],
      });
    });

    it('sends the webhook the lead as the table completed it, and fills only what the table left missing', async () => {
      const { t } = await start(store, { reply: () => ({ json: { company: { name: 'Not Acme', country: 'FR', region: 'EMEA' } } }) });
      const id = await t.postLead({ email: 'jane@acme.de', score: 50 });
      expect(enricher?.requests[0]?.body.lead.company).toEqual({ domain: 'acme.de', name: 'Acme GmbH', employees: 1200, industry: 'Software', country: 'DE' });
      expect((await storedLead(t, id)).lead.company).toMatchObject({ name: 'Acme GmbH', country: 'DE', region: 'EMEA' });
    });

    it('routes with what is known when the webhook does not answer in time, and says so in the trace', async () => {
      const { t } = await start(store, { reply: () => 'hang', timeoutMs: 100 });
      const id = await t.postLead({ email: 'jane@acme.de', score: 50 });
      expect((await t.pendingRep(id))).toBe('U0ALICE');
      expect((await storedLead(t, id)).trace.enrichment).toMatchObject({ companies: { result: 'hit' }, webhook: { result: 'timeout', afterMs: 100 } });
      expect((await t.sql.get(`SELECT detail FROM lead_history WHERE lead_id = ? AND event = 'enriched'`, id))).toEqual({
        detail: JSON.stringify({ company_table: 'hit', webhook: 'timeout after 100 ms', filled: 'company.name (table), company.employees (table), company.industry (table), company.country (table)' }),
      });
    });

    it('routes with what is known when the webhook fails', async () => {
      const { t } = await start(store, { reply: () => ({ status: 502 }) });
      const id = await t.postLead({ email: 'bo@initech.io', score: 50 });
      expect((await t.pendingRep(id))).toBe('U0BOB');
      expect((await storedLead(t, id)).trace.enrichment).toMatchObject({ webhook: { result: 'error', error: expect.stringMatching(/^HTTP 502 from 127\.0\.0\.1:\d+$/) } });
    });

    it('enriches and routes, after a restart, a lead that was accepted but not routed before the bot stopped', async () => {
      const database = await testDatabase(store);
      const companies = temp.file('companies.csv', COMPANIES);
      const config = configFrom(yaml(companies));
      const accepted = await onDatabase(database, ({ store: stopped }) =>
        createAcceptLead({ uow: stopped.uow, clock: new FakeClock(), config: () => config })({
          lead: { source: 'form', email: 'jane@acme.de', company: { domain: 'acme.de' }, fields: {} },
          requestHash: 'h',
        }),
      );
      if (accepted.status !== 'accepted') throw new Error(accepted.status);

      const { t } = await start(store, { database });
      await eventually(async () => (await t.lead(accepted.leadId)).state === 'offered');
      expect((await t.pendingRep(accepted.leadId))).toBe('U0ALICE');
      expect((await t.events(accepted.leadId))).toEqual(['received', 'enriched', 'routed', 'offered']);
      expect((await storedLead(t, accepted.leadId)).lead.company.country).toBe('DE');
    });

    it('reloads the company table (SIGHUP), keeping the previous one when the new file is invalid', async () => {
      const { t, companies } = await start(store);
      writeFileSync(companies, 'domain,country\nacme.de,DE\nglobex.com,FR\nbad row,\n');
      expect(t.bot.reloadCompanies()).toEqual({ ok: false, errors: [`${companies} row 4: domain: invalid domain "bad row" (use the bare domain, e.g. acme.com)`] });
      const before = await t.postLead({ email: 'a@globex.com', score: 50 });
      expect((await storedLead(t, before)).lead.company.country).toBe('US');

      writeFileSync(companies, 'domain,country\nglobex.com,FR\n');
      expect(t.bot.reloadCompanies()).toEqual({ ok: true, size: 1 });
      const after = await t.postLead({ email: 'b@globex.com', score: 50 });
      expect((await storedLead(t, after)).lead.company.country).toBe('FR');
      expect((await t.pendingRep(after))).toBe('U0ALICE');
    });

    it('refuses to start with a company table that has bad rows, naming each', async () => {
      const companies = temp.file('companies.csv', 'domain,employees\nacme.de,lots\n');
      await expect(startHarness({ store, configYaml: yaml(companies) })).rejects.toThrow(`${companies} row 2: employees: expected a number, got "lots"`);
    });
  });
});
