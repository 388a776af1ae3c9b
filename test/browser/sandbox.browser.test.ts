/**
 * The sandbox page in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser). A newcomer's first minutes, scripted at a fixed clock (Tuesday 2026-11-24
 * 14:00 UTC): send a lead, see the claim card, claim it, go /away, send the sample leads. Then the
 * rough edges: a typo, the Home tab, a phone-sized window, the server stopped under the page.
 * `.ci/run` installs chromium; on a machine without it the test is skipped with a note, except in
 * CI where a missing browser is a failure.
 *
 * `npm run screenshot` (LEADRELAY_SCREENSHOT=docs/sandbox.png) saves the page after the scripted
 * session as the README shows it: the same session at the same clock gives the same picture.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { EXAMPLE_CONFIG_PATH, type Env } from '../../src/config/env.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase, type Db } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/startSandbox.ts';
import { withShortSla } from '../../src/sandbox/sandboxDirectory.ts';
import { FakeClock } from '../support/fakeClock.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`skipping the sandbox browser test: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`);
}

/** The widths the page must work at without sideways scrolling: a phone and a desktop. */
const WIDTHS = [375, 1440] as const;

/**
 * Run in the page (a string, since this file is compiled without the DOM's types): what sticks out
 * of the window, and whether the sample-leads button's label is cut.
 */
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push('page is ' + root.scrollWidth + 'px wide in a ' + root.clientWidth + 'px window');
  for (const el of document.querySelectorAll('button, input, select, textarea, h1, h2, pre')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > root.clientWidth + 0.5) problems.push(el.tagName.toLowerCase() + '#' + el.id + ' ends at ' + Math.round(box.right) + 'px');
  }
  const samples = document.getElementById('samples');
  if (samples && samples.scrollWidth > samples.clientWidth) problems.push('"' + samples.textContent + '" is cut');
  return problems;
})()`;

/** What the page shows when the server does not answer (app.js SERVER_DOWN). */
const SERVER_DOWN = 'The sandbox server is not answering';

describe.skipIf(!haveChromium && !process.env.CI)('sandbox page in Chromium', () => {
  let browser: Browser;
  let sandbox: RunningSandbox;
  let stopped = false;
  let db: Db;
  let page: Page;
  const clock = new FakeClock('2026-11-24T14:00:00Z');
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const logLines: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`);
    const loaded = loadConfig(EXAMPLE_CONFIG_PATH);
    if (!loaded.ok) throw new Error('example config invalid');
    db = openDatabase(':memory:');
    // A fixed webhook secret, so the page's curl line is the same in every run (the port is not).
    const env: Env = { mode: 'sandbox', slackApiUrl: 'https://slack.invalid/api/', port: 0, configPath: EXAMPLE_CONFIG_PATH, dbPath: ':memory:', logLevel: 'info', webhookSecret: 'sandbox-secret' };
    // Tuesday 14:00 UTC, so the senior team is inside its hours; the timers run as in `npm start`,
    // on a clock that moves only when the test says, so every time on the page is the same in every run.
    sandbox = await startSandbox({
      env,
      config: withShortSla(loaded.config, 60_000),
      configLabel: 'leadrelay.example.yml',
      originalClaimWithinMs: loaded.config.sla.claimWithin,
      backend: sqliteBackend(db),
      clock,
      logger: createLogger('info', { write: (line: string) => logLines.push(JSON.parse(line) as { level: number; msg: string }) }),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (!stopped) await sandbox?.stop();
    db?.close();
  });

  /** The page is no wider than the window, and the sample-leads button shows its whole label. */
  async function layoutProblems(): Promise<string[]> {
    return page.evaluate<string[]>(LAYOUT_PROBLEMS);
  }

  it('a newcomer sends a lead, claims it, goes /away and sends the sample leads', async () => {
    await page.goto(`http://localhost:${sandbox.port}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.textContent('#meta')).toContain('claim within 1m (shortened from 5m for the sandbox)');
    await page.waitForSelector('#live.on');

    // 1. Send a hot lead from the form; the page follows it to the rep who gets the card.
    await page.fill('#lead-form input[name="name"]', 'Jane Doe');
    await page.fill('#lead-form input[name="company.name"]', 'Acme Rockets');
    await page.fill('#lead-form input[name="score"]', '92');
    await page.click('#lead-form button[type="submit"]');
    await expect.poll(() => page.textContent('#lead-result')).toMatch(/^L-1 accepted/);
    expect(await page.inputValue('#lead-form input[name="email"]')).toBe('jane.doe+1@example.org');
    const claim = page.locator('#messages button[data-action-id="claim_lead"]');
    await claim.waitFor();
    // A fresh round-robin at a fixed clock: Alice, first of the senior team.
    expect(await page.getAttribute('body', 'data-as')).toBe('U0ALICE');
    const card = page.locator('#messages [data-testid="message"]').first();
    expect(await card.textContent()).toContain('Jane Doe');
    expect(await card.textContent()).toContain('Acme Rockets');
    await expect.poll(() => page.getAttribute('#people button.active', 'data-person')).toBe('U0ALICE');
    expect(await page.textContent('#command-label')).toBe('as Alice:');

    // 2. Claim it, 42 seconds later: the card turns into "claimed by you" without a reload.
    clock.advance(42_000);
    await claim.click();
    await page.waitForSelector('#messages button[data-action-id="claim_lead"]', { state: 'detached' });
    await expect.poll(() => card.textContent()).toContain('Claimed by you in 42s');
    expect(await card.textContent()).toContain('(edited)');
    const row = db.prepare('SELECT state, owner_id FROM leads WHERE id = 1').get() as { state: string; owner_id: string };
    expect(row).toEqual({ state: 'claimed', owner_id: 'U0ALICE' });

    // 3. /away as that rep: the reply shows as an ephemeral message in their DM, at the same clock as the card.
    await page.fill('#command-input', '/away 1h');
    await page.press('#command-input', 'Enter');
    const ephemeral = page.locator('#messages .msg-is-ephemeral').last();
    await ephemeral.waitFor();
    expect(await ephemeral.textContent()).toContain("You're away until");
    expect(await ephemeral.textContent()).toContain('Only visible to you');
    await expect.poll(() => page.inputValue('#command-input')).toBe('');

    // 4. Ten sample leads: accepted, and cards show up as unread badges on the people.
    await page.click('#samples');
    await expect.poll(() => page.textContent('#lead-result'), { timeout: 15_000 }).toMatch(/^10 of 10 sample leads accepted/);
    await expect.poll(() => page.locator('#people .unread').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await sandbox.bot.outbox.drain();

    // The README's picture: this clean session, nothing typed wrong.
    await page.waitForTimeout(300);
    const screenshot = process.env.LEADRELAY_SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'leadrelay-sandbox-')), 'sandbox.png');
    await page.screenshot({ path: screenshot });
    expect(existsSync(screenshot)).toBe(true);

    // A typo gets an answer on the page, from the page itself: no request, no console error.
    await page.fill('#command-input', '/awya 1h');
    await page.press('#command-input', 'Enter');
    await expect.poll(() => page.textContent('#command-hint')).toContain('/awya is not a command of this app');

    // The rep's Home tab shows the claimed lead.
    await page.click('#tab-home');
    await expect.poll(() => page.textContent('#home'), { timeout: 15_000 }).toContain('Your open leads');
    await page.click('#tab-messages');
    await page.waitForSelector('#messages:not([hidden])');

    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
  }, 60_000);

  it('sends a Typeform, HubSpot and Calendly sample from the page: each one signed through /hooks/<id> to a rep\'s card', async () => {
    await page.goto(`http://127.0.0.1:${sandbox.port}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#live.on');
    expect(await page.isVisible('#hook-samples')).toBe(true);
    expect(await page.locator('#hook-buttons button').allTextContents()).toEqual(['Send a Typeform sample', 'Send a HubSpot sample', 'Send a Calendly sample']);
    // "From your shell" gives the (made up) secrets to sign a provider's sample with.
    expect(await page.textContent('#curl')).toMatch(/export TYPEFORM_SECRET=\S{20,} \\\n {2}HUBSPOT_CLIENT_SECRET=\S{20,} \\\n {2}CALENDLY_SIGNING_KEY=\S{20,}/);
    const samples: [string, string, RegExp, string][] = [
      ['hubspot', 'hubspot-contacts', /^HubSpot sample → \/hooks\/hubspot-contacts: L-\d+ accepted/, 'Codey Huang'],
      ['typeform', 'demo-form', /^Typeform sample → \/hooks\/demo-form: L-\d+ accepted/, 'Laura'],
      ['calendly', 'demo-booking', /^Calendly sample → \/hooks\/demo-booking: L-\d+ accepted/, 'John Doe'],
    ];
    for (const [preset, id, said, name] of samples) {
      const before = (await page.textContent('#hook-result')) ?? '';
      await page.click(`#hook-buttons button[data-preset="${preset}"]`);
      await expect.poll(async () => ((await page.textContent('#hook-result')) ?? '') !== before && (await page.textContent('#hook-result'))).toMatch(said);
      const ref = /L-\d+/.exec((await page.textContent('#hook-result')) ?? '')?.[0] ?? '';
      const leadId = Number(ref.slice(2));
      const via = db.prepare(`SELECT json_extract(detail, '$.via') AS via FROM lead_history WHERE lead_id = ? AND event = 'received'`).get(leadId) as { via: string };
      expect(via.via).toBe(`hooks/${id}`);
      // The page follows the new card to the rep it was offered to.
      await expect.poll(() => page.locator('#messages [data-testid="message"]').last().textContent(), { timeout: 15_000 }).toContain(name);
    }
    if (process.env.LEADRELAY_HOOK_SCREENSHOT) await page.screenshot({ path: process.env.LEADRELAY_HOOK_SCREENSHOT });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it.each(WIDTHS)('fits a %i px wide window: no sideways scrolling, nothing cut', async (width) => {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`http://127.0.0.1:${sandbox.port}/#as=U0ALICE&open=dm&tab=messages`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.locator('#messages [data-testid="message"]').first().waitFor();
    expect(await layoutProblems()).toEqual([]);
    // The composer and the lead form are on screen and usable.
    for (const selector of ['#command-input', '#lead-form button[type="submit"]', '#samples', '#people button[data-person="U0BOB"]']) {
      await page.locator(selector).scrollIntoViewIfNeeded();
      expect(await page.locator(selector).isVisible(), selector).toBe(true);
    }
    await page.click('#people button[data-person="U0BOB"]');
    await expect.poll(() => page.textContent('#command-label')).toBe('as Bob:');
    expect(await layoutProblems()).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('reads a 2,900-character lead message in full: "Full message" on the card opens it in a modal, and /leads L-n shows it', async () => {
    const words = 'We run a 300-seat sales floor across EMEA and need every inbound lead owned within minutes; ';
    const body = words.repeat(40).slice(0, 2880).trimEnd();
    const message = `${body} Call me!`.padEnd(2900, '!');
    expect(message).toHaveLength(2900);
    await page.fill('#lead-form input[name="name"]', 'Long Message');
    await page.fill('#lead-form input[name="email"]', 'long.message@example.net');
    await page.fill('#lead-form input[name="score"]', '50');
    await page.fill('#lead-form textarea[name="message"]', message);
    await page.click('#lead-form button[type="submit"]');
    await expect.poll(() => page.textContent('#lead-result')).toMatch(/^L-\d+ accepted/);
    const ref = /^(L-\d+)/.exec((await page.textContent('#lead-result')) ?? '')?.[1] as string;
    // Open the DM of the rep the lead is offered to (the page may have followed it there already).
    const offeredTo = () => (db.prepare(`SELECT rep_id FROM offers WHERE lead_id = ? AND state = 'pending'`).get(Number(ref.slice(2))) as { rep_id: string } | undefined)?.rep_id;
    await expect.poll(offeredTo).toBeTruthy();
    const rep = offeredTo() as string;
    await page.click(`#people button[data-person="${rep}"]`);
    // The card shows an excerpt and the button.
    const card = page.locator('#messages [data-testid="message"]', { hasText: 'Long Message' }).last();
    await card.waitFor();
    expect(await card.textContent()).not.toContain('Call me!');
    await card.locator('button[data-action-id="show_full_message"]').click();
    const modal = page.locator('[data-testid="modal"]');
    await modal.waitFor();
    expect(await page.textContent('#modal-title')).toBe(`${ref} · message`);
    const shown = (await page.textContent('#modal-body')) ?? '';
    const squeezed = (text: string) => text.replace(/\s+/g, '');
    expect(squeezed(shown)).toContain(squeezed(message));
    const modalShot = join(mkdtempSync(join(tmpdir(), 'leadrelay-sandbox-modal-')), 'modal.png');
    await page.screenshot({ path: process.env.LEADRELAY_MODAL_SCREENSHOT ?? modalShot });
    await page.click('#modal-close');
    await page.waitForSelector('#modal', { state: 'hidden' });

    // The same text in /leads L-n, as an ephemeral reply in the DM.
    await page.fill('#command-input', `/leads ${ref}`);
    await page.press('#command-input', 'Enter');
    const reply = page.locator('#messages .msg-is-ephemeral', { hasText: `${ref} · Long Message` }).last();
    await reply.waitFor();
    expect(squeezed((await reply.textContent()) ?? '')).toContain(squeezed(message));
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('says on the page that the server is not answering when a command is typed after it stopped', async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`http://127.0.0.1:${sandbox.port}/`);
    await page.waitForSelector('body[data-ready="true"]');
    stopped = true;
    await sandbox.stop();
    await page.fill('#command-input', '/leads');
    await page.press('#command-input', 'Enter');
    await expect.poll(() => page.textContent('#command-hint')).toContain(SERVER_DOWN);
    await page.click('#lead-form button[type="submit"]');
    await expect.poll(() => page.textContent('#lead-result')).toContain(SERVER_DOWN);
    // Failed requests are logged by the browser itself; the page's own code throws nothing.
    expect(pageErrors).toEqual([]);
    expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
