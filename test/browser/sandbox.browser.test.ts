/**
 * The sandbox page in a real browser: Debian's Chromium driven by playwright-core (never a
 * downloaded browser). A newcomer's first minutes: send a lead, see the claim card, claim it, go
 * /away, send the sample leads. `.ci/run` installs chromium; on a machine without it the test is
 * skipped with a note, except in CI where a missing browser is a failure.
 *
 * `LEADRELAY_SCREENSHOT=docs/sandbox.png npx vitest run test/browser` (npm run screenshot) saves
 * the page as the README shows it.
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
import { startSandbox, type RunningSandbox } from '../../src/sandbox/startSandbox.ts';
import { withShortSla } from '../../src/sandbox/sandboxDirectory.ts';
import { FakeClock } from '../support/fakeClock.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`skipping the sandbox browser test: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`);
}

describe.skipIf(!haveChromium && !process.env.CI)('sandbox page in Chromium', () => {
  let browser: Browser;
  let sandbox: RunningSandbox;
  let db: Db;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`);
    const loaded = loadConfig(EXAMPLE_CONFIG_PATH);
    if (!loaded.ok) throw new Error('example config invalid');
    db = openDatabase(':memory:');
    const env: Env = { mode: 'sandbox', slackApiUrl: 'https://slack.invalid/api/', port: 0, configPath: EXAMPLE_CONFIG_PATH, dbPath: ':memory:', logLevel: 'silent' };
    // Tuesday 14:00 UTC, so the senior team is inside its hours; the timers run as in `npm start`.
    sandbox = await startSandbox({
      env,
      config: withShortSla(loaded.config, 60_000),
      configLabel: 'leadrelay.example.yml',
      originalClaimWithinMs: loaded.config.sla.claim_within,
      db,
      clock: new FakeClock('2026-11-24T14:00:00Z'),
      logger: createLogger('silent'),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    db?.close();
  });

  it('a newcomer sends a lead, claims it, goes /away and sends the sample leads', async () => {
    await page.goto(`http://127.0.0.1:${sandbox.port}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.textContent('#meta')).toContain('claim within 1m (shortened from 5m for the sandbox)');
    await page.waitForSelector('#live.on');

    // 1. Send a hot lead from the form; the page follows it to the rep who gets the card.
    await page.fill('#lead-form input[name="name"]', 'Jane Doe');
    await page.fill('#lead-form input[name="company.name"]', 'Acme Rockets');
    await page.fill('#lead-form input[name="score"]', '92');
    await page.click('#lead-form button[type="submit"]');
    await expect.poll(() => page.textContent('#lead-result')).toMatch(/^L-1 accepted/);
    const claim = page.locator('#messages button[data-action-id="claim_lead"]');
    await claim.waitFor();
    const rep = (await page.getAttribute('body', 'data-as')) ?? '';
    expect(['U0ALICE', 'U0CAROL']).toContain(rep);
    const card = page.locator('#messages [data-testid="message"]').first();
    expect(await card.textContent()).toContain('Jane Doe');
    expect(await card.textContent()).toContain('Acme Rockets');
    await expect.poll(() => page.getAttribute('#people button.active', 'data-person')).toBe(rep);
    expect(await page.textContent('#command-label')).toBe(rep === 'U0ALICE' ? 'as Alice:' : 'as Carol:');

    // 2. Claim it: the card turns into "claimed by you" without a reload.
    await claim.click();
    await page.waitForSelector('#messages button[data-action-id="claim_lead"]', { state: 'detached' });
    await expect.poll(() => card.textContent()).toContain('Claimed by you');
    expect(await card.textContent()).toContain('(edited)');
    const row = db.prepare('SELECT state, owner_id FROM leads WHERE id = 1').get() as { state: string; owner_id: string };
    expect(row).toEqual({ state: 'claimed', owner_id: rep });

    // 3. /away as that rep: the reply shows as an ephemeral message in their DM.
    await page.fill('#command-input', '/away 1h');
    await page.press('#command-input', 'Enter');
    const ephemeral = page.locator('#messages .msg-is-ephemeral').last();
    await ephemeral.waitFor();
    expect(await ephemeral.textContent()).toContain("You're away until");
    expect(await ephemeral.textContent()).toContain('Only visible to you');
    await expect.poll(() => page.inputValue('#command-input')).toBe('');

    // A typo gets a usage line, not a crash.
    await page.fill('#command-input', '/awya 1h');
    await page.press('#command-input', 'Enter');
    await expect.poll(() => page.textContent('#command-hint')).toContain('/awya is not a command of this app');

    // 4. Ten sample leads: accepted, and cards show up as unread badges on the people.
    await page.click('#samples');
    await expect.poll(() => page.textContent('#lead-result'), { timeout: 15_000 }).toMatch(/^10 of 10 sample leads accepted/);
    await expect.poll(() => page.locator('#people .unread').count(), { timeout: 15_000 }).toBeGreaterThan(0);

    // The rep's Home tab shows the claimed lead.
    await page.click('#tab-home');
    await expect.poll(() => page.textContent('#home'), { timeout: 15_000 }).toContain('Your open leads');
    await page.click('#tab-messages');
    await page.waitForSelector('#messages:not([hidden])');

    const screenshot = process.env.LEADRELAY_SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'leadrelay-sandbox-')), 'sandbox.png');
    await page.screenshot({ path: screenshot });
    expect(existsSync(screenshot)).toBe(true);
    expect(pageErrors).toEqual([]);
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
});
