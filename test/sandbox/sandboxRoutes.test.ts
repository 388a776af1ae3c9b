/**
 * Sandbox mode end to end, without a browser: the real bot (startSandbox) against the built-in
 * stand-in, driven through the page's own HTTP routes exactly as app.js calls them. The browser test
 * (test/browser) covers the page's script; this covers what the routes do to the bot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH, type Env } from '../../src/config/env.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/startSandbox.ts';
import { withShortSla } from '../../src/sandbox/sandboxDirectory.ts';
import { escapeCommandText } from '../../src/sandbox/sandboxRoutes.ts';
import type { SandboxSnapshot } from '../../src/sandbox/sandboxView.ts';
import { eventually } from '../support/eventually.ts';
import { FakeClock } from '../support/fakeClock.ts';

const running: { sandbox: RunningSandbox; db: Db }[] = [];
afterEach(async () => {
  for (const { sandbox, db } of running.splice(0)) {
    await sandbox.stop();
    db.close();
  }
});

/** `timers: true` runs the scheduler (App Home refreshes) and the outbox on their own, as in production. */
async function start(options: { timers?: boolean } = {}) {
  const loaded = loadConfig(EXAMPLE_CONFIG_PATH);
  if (!loaded.ok) throw new Error('example config invalid');
  const config = withShortSla(loaded.config, 60_000);
  const db = openDatabase(':memory:');
  // Tuesday 14:00 UTC: Alice (Berlin), Bob (London) and Carol (New York) are all inside their hours.
  const clock = new FakeClock('2026-11-24T14:00:00Z');
  const env: Env = { mode: 'sandbox', slackApiUrl: 'https://slack.invalid/api/', port: 0, configPath: EXAMPLE_CONFIG_PATH, dbPath: ':memory:', logLevel: 'silent' };
  const sandbox = await startSandbox({ env, config, configLabel: 'leadrelay.example.yml', originalClaimWithinMs: 300_000, backend: sqliteBackend(db), clock, logger: createLogger('silent'), timers: options.timers ?? false });
  running.push({ sandbox, db });
  const base = `http://127.0.0.1:${sandbox.port}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const state = async (as?: string, open?: string) => {
    const params = new URLSearchParams();
    if (as) params.set('as', as);
    if (open) params.set('open', open);
    return (await (await fetch(`${base}/sandbox/state?${params}`)).json()) as SandboxSnapshot;
  };
  const sendLead = async (lead: Record<string, unknown>) => {
    const result = await post('/leads', lead, { authorization: `Bearer ${sandbox.webhookSecret}` });
    expect(result.status).toBe(202);
    const id = Number(String(result.json.lead).slice(2));
    await eventually(() => (db.prepare('SELECT state FROM leads WHERE id = ?').get(id) as { state: string }).state !== 'received');
    await sandbox.bot.outbox.drain();
    return id;
  };
  const pendingRep = (id: number) => (db.prepare(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`).get(id) as { rep_id: string } | undefined)?.rep_id;
  const lead = (id: number) => db.prepare('SELECT state, owner_id FROM leads WHERE id = ?').get(id) as { state: string; owner_id: string | null };
  return { sandbox, db, clock, base, post, state, sendLead, pendingRep, lead };
}

/** Like `eventually`, for a probe that has to await (an HTTP request). */
async function eventuallyAsync<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms: ${probe.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The text a person reads in a fragment of page HTML: tags dropped, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}

/** The data attributes of the first element with this action id in a fragment of page HTML. */
function element(html: string, actionId: string): { channel: string; ts: string; blockId: string; value?: string } | undefined {
  const at = html.indexOf(`data-action-id="${actionId}"`);
  if (at === -1) return undefined;
  const before = html.slice(0, at);
  const message = [...before.matchAll(/data-surface="message" data-channel="([^"]+)" data-ts="([^"]+)"/g)].pop();
  const tag = html.slice(html.lastIndexOf('<', at), html.indexOf('>', at));
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];
  if (!message) throw new Error('element outside a message');
  const value = attr('data-value');
  return { channel: message[1] ?? '', ts: message[2] ?? '', blockId: attr('data-block-id') ?? '', ...(value !== undefined ? { value } : {}) };
}

describe('sandbox mode: the page and its assets', () => {
  it('serves the page, its script and its styles at the bot port', async () => {
    const { base } = await start();
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/sandbox/app.js">');
    expect(html).toContain('id="lead-form"');
    const script = await fetch(`${base}/sandbox/app.js`);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(await script.text()).toContain("new EventSource('/sandbox/events')");
    expect((await fetch(`${base}/sandbox/app.css`)).headers.get('content-type')).toContain('text/css');
  });

  it('tells the page the config, the shortened SLA, the webhook secret and the manifest commands', async () => {
    const { base, sandbox } = await start();
    const info = (await (await fetch(`${base}/sandbox/info`)).json()) as { config: string; sla: string; webhookSecret: string; commands: { command: string; usage: string }[]; samples: unknown[] };
    expect(info.config).toBe('leadrelay.example.yml');
    expect(info.sla).toBe('claim within 1m (shortened from 5m for the sandbox)');
    expect(info.webhookSecret).toBe(sandbox.webhookSecret);
    expect(info.webhookSecret.length).toBeGreaterThanOrEqual(20);
    expect(info.commands.map((c) => c.command)).toEqual(['/away', '/leads', '/reassign', '/owner']);
    expect(info.commands[2]?.usage).toBe('L-17 @rep [reason]');
    expect(info.samples).toHaveLength(10);
  });

  it('lists the config\'s people and channels, and starts with empty conversations', async () => {
    const { state } = await start();
    const snapshot = await state();
    expect(snapshot.people.map((p) => p.id)).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN', 'U0ERIN', 'U0FRANK', 'U0MGR']);
    expect(snapshot.people[0]).toMatchObject({ name: 'Alice Example', role: 'rep · senior, enterprise', tz: 'Europe/Berlin', messages: 0 });
    expect(snapshot.channels.map((c) => [c.id, c.purpose])).toEqual([
      ['C0SALESMGR', 'escalations'],
      ['C0NURTURE', 'nurture sequence'],
    ]);
    expect(snapshot.as).toBe('U0ALICE');
    expect(snapshot.conversation.html).toContain('No messages yet');
    expect(snapshot.home).toBeNull();
  });
});

describe('sandbox mode: acting as a person', () => {
  it('a lead sent with the generated secret reaches a rep as a claim card; Claim on the page claims it', async () => {
    const { post, state, sendLead, pendingRep, lead, sandbox } = await start();
    const id = await sendLead({ email: 'jane@acme.example', name: 'Jane Doe', score: 90, company: { name: 'Acme' } });
    const rep = pendingRep(id);
    expect(['U0ALICE', 'U0CAROL']).toContain(rep);
    const before = await state(rep);
    expect(before.people.find((p) => p.id === rep)?.messages).toBe(1);
    expect(before.conversation.html).toContain('Jane Doe');
    const claim = element(before.conversation.html, 'claim_lead');
    expect(claim).toBeDefined();
    expect(element(before.conversation.html, 'pass_lead')).toBeDefined();

    const click = await post('/sandbox/action', { as: rep, actionId: 'claim_lead', kind: 'button', channel: claim?.channel, ts: claim?.ts, blockId: claim?.blockId, value: claim?.value });
    expect(click.status).toBe(200);
    expect(click.json.status).toBe(200);
    await sandbox.bot.outbox.drain();
    expect(lead(id)).toEqual({ state: 'claimed', owner_id: rep });
    const after = await state(rep);
    expect(element(after.conversation.html, 'claim_lead')).toBeUndefined();
    expect(textOf(after.conversation.html)).toContain('Claimed by you');
    expect(after.conversation.html).toContain('(edited)');
  });

  it('Pass on the page moves the lead to the next eligible rep', async () => {
    const { post, state, sendLead, pendingRep, sandbox } = await start();
    const id = await sendLead({ email: 'pass@acme.example', score: 90 });
    const first = pendingRep(id);
    const pass = element((await state(first)).conversation.html, 'pass_lead');
    const click = await post('/sandbox/action', { as: first, actionId: 'pass_lead', channel: pass?.channel, ts: pass?.ts, blockId: pass?.blockId, value: pass?.value });
    expect(click.status).toBe(200);
    await eventually(() => pendingRep(id) !== first && pendingRep(id));
    await sandbox.bot.outbox.drain();
    const second = pendingRep(id);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(element((await state(second)).conversation.html, 'claim_lead')).toBeDefined();
  });

  it('"Pass with a reason…" on the page sends the static_select option, and the reason is recorded', async () => {
    const { post, state, sendLead, pendingRep, sandbox, db } = await start();
    const id = await sendLead({ email: 'reason@acme.example', score: 90 });
    const first = pendingRep(id);
    const html = (await state(first)).conversation.html;
    const select = /<select[^>]*data-kind="static_select"[^>]*data-action-id="pass_lead"[^>]*>|<select[^>]*data-action-id="pass_lead"[^>]*data-kind="static_select"[^>]*>/.exec(html)?.[0];
    expect(select).toBeDefined();
    const option = /<option value="(offer:\d+:\d+:capacity)">No capacity right now<\/option>/.exec(html)?.[1];
    expect(option).toBeDefined();
    const where = element(html, 'pass_lead');
    const blockId = /data-block-id="([^"]+)"/.exec(select ?? '')?.[1];
    const picked = await post('/sandbox/action', { as: first, actionId: 'pass_lead', kind: 'static_select', channel: where?.channel, ts: where?.ts, blockId, value: option, text: 'No capacity right now' });
    expect(picked.status).toBe(200);
    await eventually(() => pendingRep(id) !== first);
    await sandbox.bot.outbox.drain();
    const passed = db.prepare(`SELECT detail FROM lead_history WHERE lead_id = ? AND event = 'passed'`).get(id) as { detail: string };
    expect(JSON.parse(passed.detail)).toMatchObject({ reason: 'No capacity right now' });
    expect(textOf((await state(first)).conversation.html)).toContain('Reason: No capacity right now');
  });

  it('a click on a button the message no longer shows answers "changed" (not an HTTP error), and changes nothing', async () => {
    const { post, state, sendLead, pendingRep, lead, sandbox } = await start();
    const id = await sendLead({ email: 'stale@acme.example', score: 90 });
    const rep = pendingRep(id);
    const claim = element((await state(rep)).conversation.html, 'claim_lead');
    await post('/sandbox/action', { as: rep, actionId: 'claim_lead', channel: claim?.channel, ts: claim?.ts, blockId: claim?.blockId, value: claim?.value });
    await sandbox.bot.outbox.drain();
    const again = await post('/sandbox/action', { as: rep, actionId: 'claim_lead', channel: claim?.channel, ts: claim?.ts, blockId: claim?.blockId, value: claim?.value });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ changed: true });
    expect(lead(id)).toEqual({ state: 'claimed', owner_id: rep });
  });

  it('a slash command typed as a rep gets its ephemeral reply in their DM', async () => {
    const { post, state, db } = await start();
    const reply = await post('/sandbox/command', { as: 'U0BOB', text: '/away 1h' });
    expect(reply.status).toBe(200);
    expect(reply.json.status).toBe(200);
    const away = db.prepare(`SELECT away_until FROM rep_state WHERE rep_id = 'U0BOB'`).get() as { away_until: number | null } | undefined;
    expect(away?.away_until).toBe(Date.parse('2026-11-24T15:00:00Z'));
    const snapshot = await state('U0BOB');
    expect(textOf(snapshot.conversation.html)).toContain('Only visible to you');
    expect(textOf(snapshot.conversation.html)).toMatch(/You're away until/);
    // Nobody else sees Bob's ephemeral reply.
    expect((await state('U0ALICE')).conversation.html).not.toContain('Only visible to you');
  });

  it('turns @handles into Slack mentions like a client does for should_escape commands: /reassign L-1 @bob', async () => {
    const { post, sendLead, pendingRep, lead, sandbox } = await start();
    const id = await sendLead({ email: 'move@acme.example', score: 90 });
    expect(pendingRep(id)).toBeDefined();
    const reply = await post('/sandbox/command', { as: 'U0MGR', text: `/reassign L-${id} @bob checking the handover` });
    expect(reply.status).toBe(200);
    await sandbox.bot.outbox.drain();
    expect(lead(id).owner_id).toBe('U0BOB');
  });

  it('escapes "@Bob Example" (a name with a space) as one mention, so /reassign and /owner read the same person', async () => {
    const { post, sendLead, pendingRep, lead, sandbox, db } = await start();
    expect(escapeCommandText('L-1 @Bob Example, please', sandbox.slack)).toBe('L-1 <@U0BOB|bob>, please');
    expect(escapeCommandText('@bob', sandbox.slack)).toBe('<@U0BOB|bob>');
    expect(escapeCommandText('mail@bob.com @nobody', sandbox.slack)).toBe('mail@bob.com @nobody');

    const id = await sendLead({ email: 'names@acme.example', score: 90 });
    expect(pendingRep(id)).toBeDefined();
    const reassign = await post('/sandbox/command', { as: 'U0MGR', text: `/reassign L-${id} @Bob Example` });
    expect(reassign.status).toBe(200);
    await sandbox.bot.outbox.drain();
    expect(lead(id).owner_id).toBe('U0BOB');
    // No reason was typed: "Example" is part of the name, not a reason.
    const history = db.prepare(`SELECT detail FROM lead_history WHERE lead_id = ? AND event = 'reassigned'`).get(id) as { detail: string };
    expect(JSON.parse(history.detail).reason ?? null).toBeNull();

    const owner = await post('/sandbox/command', { as: 'U0MGR', text: '/owner initech.com @Bob Example' });
    expect(owner.status).toBe(200);
    expect(JSON.stringify(owner.json)).toContain('initech.com is now owned by <@U0BOB>');
  });

  it('refuses what is not a command of the app, or not a command at all, without calling the bot', async () => {
    const { post, sandbox } = await start();
    const calls = sandbox.slack.calls.length;
    const unknown = await post('/sandbox/command', { as: 'U0BOB', text: '/awya 1h' });
    expect(unknown).toEqual({ status: 400, json: { error: '/awya is not a command of this app. Try /away, /leads, /reassign, /owner.' } });
    const plain = await post('/sandbox/command', { as: 'U0BOB', text: 'hello' });
    expect(plain.status).toBe(400);
    expect(plain.json.error).toBe('type a slash command, e.g. /away 1h');
    expect(sandbox.slack.calls.length).toBe(calls);
  });

  it('opening the Home tab has the bot publish the App Home, whose buttons work from the page', async () => {
    const { post, state } = await start({ timers: true });
    expect((await state('U0DAN')).home).toBeNull();
    const opened = await post('/sandbox/home', { as: 'U0DAN' });
    expect(opened.status).toBe(200);
    const home = await eventuallyAsync(async () => (await state('U0DAN')).home);
    expect(textOf(home)).toContain('Your open leads');
    expect(textOf(home)).not.toContain("You're away");
    const toggle = /<button[^>]*data-action-id="toggle_away"[^>]*>/.exec(home)?.[0];
    expect(toggle).toContain('data-value="away"');
    const response = await post('/sandbox/action', { as: 'U0DAN', actionId: 'toggle_away', view: 'home', value: 'away' });
    expect(response.status).toBe(200);
    const after = await eventuallyAsync(async () => {
      const view = (await state('U0DAN')).home ?? '';
      return textOf(view).includes("You're away") && view;
    });
    expect(/<button[^>]*data-action-id="toggle_away"[^>]*>/.exec(after)?.[0]).toContain('data-value="back"');
  });

  it('a card left alone expires after the sandbox SLA of 1m, moves on, escalates, and a manager assigns it from the channel', async () => {
    const { post, state, sendLead, pendingRep, lead, sandbox, clock } = await start();
    const id = await sendLead({ email: 'ignored@acme.example', score: 90 });
    const offered: string[] = [];
    for (let i = 0; i < 3 && lead(id).state === 'offered'; i += 1) {
      offered.push(pendingRep(id) ?? '');
      clock.advance(60_000);
      expect(await sandbox.bot.deadlines.expireDue()).toBe(1);
      await eventually(() => lead(id).state !== 'received');
      await sandbox.bot.outbox.drain();
    }
    expect(new Set(offered).size).toBe(offered.length);
    expect(lead(id).state).toBe('escalated');
    const channel = await state('U0MGR', 'C0SALESMGR');
    expect(channel.channels.find((c) => c.id === 'C0SALESMGR')?.messages).toBe(1);
    const select = /<select[^>]*data-kind="users_select"[^>]*>/.exec(channel.conversation.html)?.[0] ?? '';
    expect(select).toContain('data-action-id="assign_lead"');
    const assign = element(channel.conversation.html, 'assign_lead');
    const picked = await post('/sandbox/action', { as: 'U0MGR', actionId: 'assign_lead', kind: 'users_select', channel: assign?.channel, ts: assign?.ts, blockId: assign?.blockId, value: 'U0DAN' });
    expect(picked.status).toBe(200);
    await sandbox.bot.outbox.drain();
    expect(lead(id)).toEqual({ state: 'claimed', owner_id: 'U0DAN' });
    expect(textOf((await state('U0MGR', 'C0SALESMGR')).conversation.html)).toMatch(/Dan Example/);
    expect((await state('U0DAN')).people.find((p) => p.id === 'U0DAN')?.messages).toBeGreaterThan(0);
  });

  it('republishes an opened App Home when a new offer arrives for that person', async () => {
    const { post, state, sendLead, pendingRep, sandbox } = await start({ timers: true });
    for (const rep of ['U0DAN', 'U0ERIN', 'U0FRANK']) expect((await post('/sandbox/home', { as: rep })).status).toBe(200);
    // No rule matches: the fallback team sdr (Dan, Erin, Frank) gets it.
    const id = await sendLead({ email: 'home@plain.example', score: 50 });
    const rep = pendingRep(id) ?? '';
    expect(['U0DAN', 'U0ERIN', 'U0FRANK']).toContain(rep);
    const home = await eventuallyAsync(async () => {
      const view = textOf((await state(rep)).home ?? '');
      return view.includes(`L-${id}`) && view;
    });
    expect(home).toContain('Waiting for you');
    // Every publish succeeded: the flush outside a request uses the bot token.
    expect(sandbox.slack.callsTo('views.publish').filter((c) => !c.ok)).toEqual([]);
  });

  it('a claim clicked in the App Home claims the lead, and a stale click there republishes the Home as the answer', async () => {
    const { post, state, sendLead, pendingRep, lead, sandbox } = await start({ timers: true });
    for (const rep of ['U0DAN', 'U0ERIN', 'U0FRANK']) await post('/sandbox/home', { as: rep });
    const id = await sendLead({ email: 'homeclaim@plain.example', score: 50 });
    const rep = pendingRep(id) ?? '';
    const home = await eventuallyAsync(async () => {
      const view = (await state(rep)).home ?? '';
      return view.includes('data-action-id="claim_lead"') && view;
    });
    const value = /<button[^>]*data-action-id="claim_lead"[^>]*data-value="([^"]+)"/.exec(home)?.[1];
    expect(value).toMatch(/^offer:\d+:\d+$/);
    expect((await post('/sandbox/action', { as: rep, actionId: 'claim_lead', view: 'home', value })).status).toBe(200);
    await eventually(() => lead(id).state === 'claimed');
    expect(lead(id).owner_id).toBe(rep);
    const publishes = () => sandbox.slack.callsTo('views.publish').filter((c) => c.args.user_id === rep).length;
    await eventuallyAsync(async () => textOf((await state(rep)).home ?? '').includes('Your open leads (1)'));
    const before = publishes();
    // The same (now stale) button again, as a second client still showing the old Home would send it.
    await sandbox.slack.blockAction({ userId: rep, actionId: 'claim_lead', view: 'home', value: value ?? '', requireElement: false });
    await eventually(() => publishes() > before);
    expect(lead(id)).toEqual({ state: 'claimed', owner_id: rep });
  });

  it('refuses malformed interactions with the field that is wrong', async () => {
    const { post } = await start();
    const missing = await post('/sandbox/action', { as: 'U0BOB' });
    expect(missing.status).toBe(400);
    expect(missing.json.details).toEqual(expect.arrayContaining([expect.stringMatching(/^actionId: /)]));
    expect((await post('/sandbox/action', { as: 'U0NOBODY', actionId: 'claim_lead', channel: 'DALICE', ts: '1.1' })).status).toBe(400);
    expect((await post('/sandbox/action', { as: 'U0BOB', actionId: 'claim_lead' })).json.error).toBe('give channel and ts of the message, or view: "home"');
    expect((await post('/sandbox/command', { as: 'U0BOB', text: '/away', extra: 1 })).status).toBe(400);
    const notJson = await fetch(`${(await start()).base}/sandbox/home`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
  });
});

describe('sandbox mode: live updates', () => {
  it('streams a change event when the bot changes what someone sees', async () => {
    const { base, sendLead } = await start();
    const controller = new AbortController();
    const response = await fetch(`${base}/sandbox/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (count: number) => {
      while ((text.match(/event: change/g) ?? []).length < count) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        text += decoder.decode(chunk.value);
      }
    };
    await readUntil(1);
    await sendLead({ email: 'live@acme.example', score: 90 });
    await readUntil(2);
    const versions = [...text.matchAll(/data: (\d+)/g)].map((m) => Number(m[1]));
    expect(versions[1]).toBeGreaterThan(versions[0] ?? 0);
    controller.abort();
  });
});

describe('sandbox mode: the lead source samples', () => {
  it('lists the example config\'s sources with their (made up) secrets', async () => {
    const { base } = await start();
    const info = (await (await fetch(`${base}/sandbox/info`)).json()) as { sources: { id: string; preset: string; secret_env: string; secret: string }[] };
    expect(info.sources.map((s) => [s.id, s.preset, s.secret_env])).toEqual([
      ['demo-form', 'typeform', 'TYPEFORM_SECRET'],
      ['hubspot-contacts', 'hubspot', 'HUBSPOT_CLIENT_SECRET'],
      ['demo-booking', 'calendly', 'CALENDLY_SIGNING_KEY'],
      ['zapier', 'generic', 'LEADRELAY_WEBHOOK_SECRET'],
    ]);
    expect(info.sources.every((s) => s.secret.length >= 20)).toBe(true);
  });

  it('posts each provider\'s documented sample to /hooks/<id>, signed as the provider signs it: a new lead and a card each time', async () => {
    const t = await start();
    for (const preset of ['typeform', 'hubspot', 'calendly', 'typeform']) {
      const result = await t.post('/sandbox/hook-sample', { preset });
      expect(result.status, preset).toBe(200);
      expect(result.json).toMatchObject({ status: 202, body: { status: 'accepted' } });
      const id = Number(String((result.json.body as { lead: string }).lead).slice(2));
      await eventually(() => t.lead(id).state !== 'received');
      await t.sandbox.bot.outbox.drain();
      expect(t.pendingRep(id), preset).toMatch(/^U0/);
    }
    const vias = t.db.prepare(`SELECT json_extract(detail, '$.via') AS via FROM lead_history WHERE event = 'received' ORDER BY id`).all();
    expect(vias).toEqual([{ via: 'hooks/demo-form' }, { via: 'hooks/hubspot-contacts' }, { via: 'hooks/demo-booking' }, { via: 'hooks/demo-form' }]);
    // The booking is pre-routed by the source's defaults to the senior team.
    expect(['U0ALICE', 'U0CAROL']).toContain(t.pendingRep(3));
    const named = await t.state(t.pendingRep(1));
    expect(textOf(named.conversation.html)).toContain('Laura');
  });

  it('refuses a preset without a documented sample, and a malformed request', async () => {
    const t = await start();
    expect(await t.post('/sandbox/hook-sample', { preset: 'generic' })).toEqual({ status: 400, json: { error: 'no sample for generic (samples: typeform, hubspot, calendly)' } });
    expect((await t.post('/sandbox/hook-sample', { nope: 1 })).status).toBe(400);
  });
});
