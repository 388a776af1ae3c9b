import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/adapters/csv/parseCsv.ts';
import { startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import { runCliCaptured, useTempDir } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';
import type { StandInMessage } from '../../src/sandbox/slackWorkspace.ts';

const MINUTE = 60_000;
const CONFIG = `
timezone: UTC
sla: { claim_within: 5m, max_offers: 2 }
escalation: { channel: C0ESCALATE }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice Example, email: alice@example.com }
  - { id: U0BOB, name: Bob Example, email: bob@example.com }
  - { id: U0CAROL, name: Carol Example }
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

useHarnessCleanup();
const temp = useTempDir('leadrelay-ops-');

const contact = (n: number) => ({ email: `person${n}@buyer${n}.com`, phone: `+1 555 010${n}`, name: `Person Number${n}`, message: `secret plan ${n}` });

/** The bot on a database file, with the same config in a file for the CLI. */
async function start(clock = new FakeClock('2026-11-24T14:00:00Z')) {
  const dbPath = join(temp.dir, 'leadrelay.db');
  const t = await startHarness({ configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'], dbPath, clock });
  const click = async (userId: string, actionId: 'claim_lead' | 'pass_lead') => {
    const card = t.slack.lastMessage(userId) as StandInMessage;
    await t.slack.blockAction({ userId, actionId, message: { channel: card.channel, ts: card.ts } });
  };
  return { ...t, dbPath, configPath: temp.file('leadrelay.yml', CONFIG), click };
}

function csvRows(csv: string): Record<string, string>[] {
  const parsed = parseCsv(csv);
  if (!parsed.ok) throw new Error(parsed.error);
  const [header, ...records] = parsed.records;
  return records.map((record) => Object.fromEntries((header?.cells ?? []).map((name, i) => [name, record.cells[i] ?? ''])));
}

describe('leadrelay export, beside the running bot', () => {
  it('writes each lead with its owner, times to first offer and to claim, offers and outcome', async () => {
    const t = await start();
    const claimed = await t.postLead({ ...contact(1), source: 'form', external_id: 'hs-1', crm_url: 'https://crm.example.com/leads/1', company: { name: 'Acme, Inc' }, score: 70 });
    const escalated = await t.postLead({ ...contact(2), source: 'linkedin', company: { name: '=HYPERLINK("http://evil.example","click")' } });
    t.clock.advance(72_000);
    await t.click('U0ALICE', 'claim_lead');
    await eventually(async () => (await t.lead(claimed)).state === 'claimed');
    await t.click('U0BOB', 'pass_lead');
    await eventually(async () => (await t.pendingRep(escalated)) === 'U0ALICE');
    await t.bot.outbox.drain();
    t.clock.advance(5 * MINUTE);
    await t.bot.deadlines.expireDue();
    await t.bot.outbox.drain();
    const escalation = t.slack.lastMessage('C0ESCALATE') as StandInMessage;
    await t.slack.blockAction({ userId: 'U0MGR', actionId: 'assign_lead', message: { channel: 'C0ESCALATE', ts: escalation.ts }, selectedUser: 'U0CAROL' });
    await eventually(async () => (await t.lead(escalated)).state === 'claimed');
    t.clock.advance(10 * MINUTE);
    await t.command('U0MGR', '/reassign', `L-${claimed} <@U0BOB>`);
    await t.command('U0BOB', '/leads', `done L-${claimed}`);
    const sequenced = await t.postLead({ ...contact(3), score: 10 });
    const waiting = await t.postLead({ ...contact(4) });

    const result = await runCliCaptured(['export', '--db', t.dbPath, '--config', t.configPath, '--since', '2026-11-24T00:00:00Z']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`exported 4 leads received since 2026-11-24T00:00:00Z from ${t.dbPath}\n`);
    const rows = csvRows(result.stdout);
    expect(rows.map((row) => row.ref)).toEqual([`L-${claimed}`, `L-${escalated}`, `L-${sequenced}`, `L-${waiting}`]);
    expect(rows[0]).toEqual({
      ref: 'L-1',
      external_id: 'hs-1',
      received_at: '2026-11-24T14:00:00Z',
      source: 'form',
      company: 'Acme, Inc',
      domain: 'buyer1.com',
      score: '70',
      state: 'done',
      outcome: 'claimed',
      owner_id: 'U0BOB',
      owner_name: 'Bob Example',
      owner_email: 'bob@example.com',
      team: 'sdr',
      rule: 'Everyone',
      sequence: '',
      first_offered_at: '2026-11-24T14:00:00Z',
      seconds_to_first_offer: '0',
      // The first owner's claim, not the later reassignment.
      claimed_at: '2026-11-24T14:01:12Z',
      seconds_to_claim: '72',
      offers: '1',
      passed: '0',
      expired: '0',
      escalated: '',
      done_at: '2026-11-24T14:16:12Z',
      crm_url: 'https://crm.example.com/leads/1',
    });
    expect(rows[1]).toMatchObject({
      source: 'linkedin',
      company: `'=HYPERLINK("http://evil.example","click")`,
      state: 'claimed',
      outcome: 'assigned',
      owner_id: 'U0CAROL',
      owner_name: 'Carol Example',
      owner_email: '',
      offers: '2',
      passed: '1',
      expired: '1',
      escalated: 'max_offers',
      claimed_at: '2026-11-24T14:06:12Z',
      seconds_to_claim: '372',
    });
    expect(rows[2]).toMatchObject({ state: 'in_sequence', outcome: 'sequence', sequence: 'nurture', rule: 'Cold lead', offers: '0', first_offered_at: '' });
    expect(rows[3]).toMatchObject({ state: 'offered', outcome: 'waiting', owner_id: '', offers: '1', claimed_at: '', seconds_to_claim: '' });
    for (const n of [1, 2, 3, 4]) {
      for (const value of Object.values(contact(n))) expect(result.stdout).not.toContain(value);
    }
  });
});

describe('leadrelay backup, while the bot runs', () => {
  it('copies a consistent database while leads keep arriving, and the bot starts from the copy with its leads and deadlines', async () => {
    const clock = new FakeClock('2026-11-24T14:00:00Z');
    const t = await start(clock);
    await t.postLead({ ...contact(1) });
    const target = join(temp.dir, 'backup.db');
    const [backup, ...answers] = await Promise.all([
      runCliCaptured(['backup', target, '--db', t.dbPath]),
      ...[2, 3, 4, 5, 6].map((n) => t.sendLead({ ...contact(n), score: 50 })),
    ]);
    expect(backup).toMatchObject({ code: 0, stderr: '' });
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    await t.stop();

    // Restore: the copy becomes the database.
    const restored = join(temp.dir, 'restored.db');
    copyFileSync(target, restored);
    const again = await startHarness({ configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0MGR'], dbPath: restored, clock, slack: t.slack });
    const health = await fetch(`${again.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const inCopy = ((await again.sql.get('SELECT count(*) AS n FROM leads')) as { n: number }).n;
    expect(inCopy).toBeGreaterThanOrEqual(1);
    expect(inCopy).toBeLessThanOrEqual(6);
    expect((await again.lead(1)).state).toBe('offered');
    expect((await again.pendingRep(1))).toBe('U0ALICE');
    // References continue after the copy's last lead; the copied offer's deadline still fires.
    const next = await again.postLead({ ...contact(7) });
    expect(next).toBe(inCopy + 1);
    clock.advance(5 * MINUTE);
    expect(await again.bot.deadlines.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await again.events(1))).toContain('expired');
  });
});
