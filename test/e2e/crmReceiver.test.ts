import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../src/adapters/http/webhookSignature.ts';
import { describeEachStore, startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';

const RECEIVER = fileURLToPath(new URL('../../examples/crm-receiver.mjs', import.meta.url));
const SECRET = 'crm-receiver-secret';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});
useHarnessCleanup();

/** Starts examples/crm-receiver.mjs on a free port; its stdout lines as they come. */
async function startReceiver() {
  const lines: string[] = [];
  child = spawn(process.execPath, [RECEIVER], { env: { PATH: process.env.PATH ?? '', PORT: '0', WEBHOOK_SECRET: SECRET } });
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
  });
  const listening = await eventually(() => lines.map((line) => /^listening on (\d+)$/.exec(line)).find(Boolean));
  return { url: `http://127.0.0.1:${listening[1]}/hooks/leadrelay`, lines };
}

const config = (url: string) => `
timezone: UTC
escalation: { channel: C0ESCALATE }
reps:
  - { id: U0ALICE, name: Alice, email: alice@example.com }
teams:
  - { id: sdr, members: [U0ALICE] }
fallback: { team: sdr }
webhooks:
  - { url: "${url}", events: [lead.claimed], secret: ${SECRET} }
`;

describeEachStore('the example CRM receiver', (store) => {
  describe('examples/crm-receiver.mjs', () => {
    it('accepts a real signed lead.claimed delivery from leadrelay and reads the owner from it', async () => {
      const receiver = await startReceiver();
      // The receiver checks the signature's timestamp against its own clock, so the bot signs with the real time.
      const t = await startHarness({ store, configYaml: config(receiver.url), clock: new FakeClock(Date.now()) });
      const id = await t.postLead({ email: 'jane@acme.com', external_id: 'hs-9912' });
      const card = t.slack.lastMessage('U0ALICE')!;
      await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
      await eventually(async () => (await t.lead(id)).state === 'claimed');
      await t.bot.outbox.drain();
      expect((await t.sql.all(`SELECT state, last_error FROM outbox WHERE kind = 'webhook'`))).toEqual([{ state: 'done', last_error: null }]);
      await eventually(() => receiver.lines.includes(`lead.claimed L-${id} hs-9912 owner=alice@example.com`));
    });

    it('refuses a wrong signature, another secret and a stale timestamp with 401', async () => {
      const receiver = await startReceiver();
      const body = JSON.stringify({ event: 'lead.claimed', lead: { ref: 'L-1' }, owner: null });
      const post = (timestamp: number, signature: string) =>
        fetch(receiver.url, { method: 'POST', headers: { 'x-leadrelay-timestamp': String(timestamp), 'x-leadrelay-signature': signature }, body });
      const now = Math.floor(Date.now() / 1000);
      expect((await post(now, signWebhookBody(SECRET, now, body))).status).toBe(200);
      expect((await post(now, 'v0=00')).status).toBe(401);
      expect((await post(now, signWebhookBody('another-secret', now, body))).status).toBe(401);
      expect((await post(now - 600, signWebhookBody(SECRET, now - 600, body))).status).toBe(401);
      expect(receiver.lines.filter((line) => line.startsWith('lead.claimed'))).toEqual(['lead.claimed L-1 - owner=-']);
    });

    it('is the receiver the README shows, line for line', () => {
      const code = readFileSync(RECEIVER, 'utf8');
      const body = code.slice(code.indexOf('import '));
      expect(readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')).toContain(`\`\`\`js\n${body}\`\`\``);
    });
  });
});
