import { wire, type WireBlock } from '../../support/wireMessage.ts';
import { describe, expect, it } from 'vitest';
import { parseOfferButtonValue, parsePassReasonValue } from '../../../src/adapters/slack/cardValues.ts';
import { renderLeadSection } from '../../../src/adapters/slack/renderLeadSection.ts';
import {
  renderOfferCard,
  whereaboutsWords,
  type LeadWhereabouts,
  type OfferCardModel,
  type OfferModel,
  type SignalModel,
} from '../../../src/adapters/slack/renderOfferCard.ts';
import { renderReminder } from '../../../src/adapters/slack/renderReminder.ts';
import { ACTIONS, PASS_REASONS } from '../../../src/adapters/slack/slackIds.ts';
import type { Lead } from '../../../src/domain/lead.ts';
import { findElement } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 2, 14, 0, 0);
const MINUTE = 60_000;

function buildLead(overrides: Partial<Lead> = {}): Lead {
  return {
    source: 'linkedin',
    email: 'jane.doe@acme.com',
    linkedin_url: 'https://www.linkedin.com/in/janedoe/',
    name: 'Jane Doe',
    title: 'VP Sales',
    phone: '+1 555 0100',
    company: { name: 'Acme', domain: 'acme.com', employees: 1200, industry: 'Software', country: 'US' },
    score: 87,
    crm_url: 'https://crm.example.com/leads/9912',
    message: 'We need 300 seats by Q3',
    fields: {},
    ...overrides,
  };
}

function buildModel(overrides: Partial<OfferCardModel> = {}, offer: Partial<OfferModel> = {}): OfferCardModel {
  return {
    ref: 'L-17',
    lead: buildLead(),
    domain: 'acme.com',
    offer: {
      id: 123,
      version: 2,
      repId: 'U0ALICE',
      attempt: 2,
      state: 'pending',
      offeredAt: NOW,
      deadlineAt: NOW + 5 * MINUTE,
      resolvedAt: null,
      reason: null,
      ...offer,
    },
    why: 'Hot lead (score ≥ 80) → team senior: you were furthest below your weighted share',
    whereabouts: null,
    signals: [],
    urgent: false,
    maxOffers: 3,
    ...overrides,
  };
}


/** Every text in the blocks (or only the mrkdwn ones, which Slack parses for markup), in order, one per line. */
function texts(value: unknown, only?: 'mrkdwn' | 'plain_text'): string {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (typeof record.text === 'string' && (only === undefined || record.type === only)) found.push(record.text);
      for (const [key, child] of Object.entries(record)) if (key !== 'text' || typeof child !== 'string') walk(child);
    }
  };
  walk(value);
  return found.join('\n');
}

const render = (model: OfferCardModel, now = NOW) => wire(renderOfferCard(model, now));
const actionsOf = (blocks: WireBlock[]) => blocks.filter((block) => block.type === 'actions');

describe('renderOfferCard, pending', () => {
  it('is a header, the lead, and Claim (primary) and Pass buttons carrying the offer id and version', () => {
    const { blocks } = render(buildModel());
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'New lead L-17 · Jane Doe', emoji: false } });
    const claim = findElement(blocks, ACTIONS.claimLead);
    const pass = findElement(blocks, ACTIONS.passLead);
    expect(claim?.element).toMatchObject({ type: 'button', text: { type: 'plain_text', text: 'Claim' }, style: 'primary', value: 'offer:123:2' });
    expect(pass?.element).toMatchObject({ type: 'button', text: { type: 'plain_text', text: 'Pass' }, value: 'offer:123:2' });
    expect(pass?.element.style).toBeUndefined();
    expect(parseOfferButtonValue(claim?.element.value)).toEqual({ offerId: 123, version: 2 });
    expect(parseOfferButtonValue(pass?.element.value)).toEqual({ offerId: 123, version: 2 });
  });

  it('offers "Pass with a reason…": a select in its own block with the pass_lead action id, each option the offer and a reason', () => {
    const { blocks } = render(buildModel());
    const selects = blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as { elements: { type: string; action_id: string; options?: { text: { text: string }; value: string }[] }[] }).elements).filter((e) => e.type === 'static_select');
    expect(selects).toHaveLength(1);
    expect(selects[0]?.action_id).toBe(ACTIONS.passLead);
    expect(selects[0]?.options?.map((o) => o.text.text)).toEqual(Object.values(PASS_REASONS));
    expect(selects[0]?.options?.map((o) => parsePassReasonValue(o.value))).toEqual(Object.values(PASS_REASONS).map((reason) => ({ offerId: 123, version: 2, reason })));
    expect(JSON.stringify(render(buildModel({ whereabouts: { kind: 'claimed', repId: 'U0ALICE' } }, { state: 'claimed', resolvedAt: NOW + 72_000 })).blocks)).not.toContain('static_select');
  });

  it('shows who the lead is: name, title, company, size, country, source, score, message and CRM link', () => {
    const { blocks } = render(buildModel());
    // What the lead's source wrote is plain_text; only leadrelay's own words and links are mrkdwn.
    expect(blocks[1]).toEqual({
      type: 'section',
      text: { type: 'plain_text', text: 'Jane Doe, VP Sales\nAcme (acme.com) · 1,200 employees · Software · US\njane.doe@acme.com · +1 555 0100', emoji: false },
    });
    expect(blocks[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<https://www.linkedin.com/in/janedoe/|LinkedIn profile> · via LinkedIn · score *87* · <https://crm.example.com/leads/9912|Open in CRM>' },
    });
    expect(blocks[3]).toEqual({ type: 'section', text: { type: 'plain_text', text: '“We need 300 seats by Q3”', emoji: false } });
  });

  it.each([
    ['form', 'via web form'],
    ['linkedin', 'via LinkedIn'],
    ['email', 'via email'],
    ['whatsapp', 'via WhatsApp'],
    ['other', 'via another source'],
  ] as const)('names the %s source in words', (source, words) => {
    expect(texts(render(buildModel({ lead: buildLead({ source }) })).blocks)).toContain(words);
  });

  it('shows the deadline with Slack date formatting, and which offer of max_offers this is', () => {
    const all = texts(render(buildModel()).blocks);
    const seconds = (NOW + 5 * MINUTE) / 1000;
    expect(all).toContain(`⏳ Claim by <!date^${seconds}^{time}|2026-03-02 14:05 UTC> · offer 2 of 3`);
  });

  it('shows the date with the time when the SLA is a day long', () => {
    const all = texts(render(buildModel({}, { deadlineAt: NOW + 24 * 60 * MINUTE })).blocks);
    expect(all).toContain('^{date_short_pretty} {time}|2026-03-03 14:00 UTC>');
  });

  it('says the time is up when the sweep has not yet expired an overdue offer', () => {
    expect(texts(render(buildModel(), NOW + 6 * MINUTE).blocks)).toContain('(time is up)');
  });

  it('counts offers past max_offers without "of"', () => {
    expect(texts(render(buildModel({}, { attempt: 4 })).blocks)).toContain('· offer 4');
    expect(texts(render(buildModel({}, { attempt: 4 })).blocks)).not.toContain('4 of 3');
  });

  it('says why this rep got it', () => {
    expect(texts(render(buildModel()).blocks)).toContain('*Why you:* Hot lead (score ≥ 80) → team senior: you were furthest below your weighted share');
  });

  it('has a notification text with the lead and the deadline in UTC', () => {
    expect(render(buildModel()).text).toBe('New lead L-17: Jane Doe, Acme — claim by 14:05 UTC');
  });

  it('marks an urgent lead in the header and the notification', () => {
    const { blocks, text } = render(buildModel({ urgent: true }));
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: '🔥 Urgent: L-17 · Jane Doe' } });
    expect(text).toBe('🔥 Urgent lead L-17: Jane Doe, Acme — claim by 14:05 UTC');
  });

  it('renders the same card for the same state: re-rendering for chat.update is safe', () => {
    expect(renderOfferCard(buildModel(), NOW)).toEqual(renderOfferCard(buildModel(), NOW));
  });
});

describe('renderOfferCard, signals', () => {
  const signal = (kind: string, channel: SignalModel['channel'], minutesAgo: number): SignalModel => ({ kind, channel, at: NOW - minutesAgo * MINUTE });

  it('lists at most the 5 newest signals, newest first, in words with Slack dates', () => {
    const signals = [
      signal('profile_view', 'linkedin', 70),
      signal('reply_positive', 'linkedin', 5),
      signal('email_open', 'email', 60),
      signal('link_click', 'email', 50),
      signal('meeting_booked', 'web', 40),
      signal('reply', 'whatsapp', 30),
      signal('connection_accepted', 'linkedin', 80),
    ];
    const all = texts(render(buildModel({ signals })).blocks);
    const lines = all.split('\n').filter((line) => line.startsWith('• '));
    expect(lines.map((line) => line.split(' · ')[0])).toEqual([
      '• replied positively on LinkedIn',
      '• replied on WhatsApp',
      '• booked a meeting on the website',
      '• clicked a link by email',
      '• opened an email',
    ]);
    expect(lines[0]).toContain(`<!date^${(NOW - 5 * MINUTE) / 1000}^`);
    expect(all).toContain('_and 2 earlier_');
  });

  it('shows an unknown signal kind in escaped words', () => {
    expect(texts(render(buildModel({ signals: [signal('form_<b>_fill', 'web', 1)] })).blocks)).toContain('• form &lt;b&gt; fill on the website');
  });

  it('has no signals section without signals', () => {
    expect(texts(render(buildModel()).blocks)).not.toContain('Recent signals');
  });
});

describe('renderOfferCard, after the offer', () => {
  const offered: LeadWhereabouts = { kind: 'offered', repId: 'U0BOB' };

  it('shows a claimed card without buttons: "Claimed by you in 1m 12s"', () => {
    const { blocks, text } = render(buildModel({ whereabouts: { kind: 'claimed', repId: 'U0ALICE' } }, { state: 'claimed', resolvedAt: NOW + 72_000 }));
    expect(actionsOf(blocks)).toEqual([]);
    expect(findElement(blocks, ACTIONS.claimLead)).toBeUndefined();
    expect(texts(blocks)).toContain('✅ Claimed by you in 1m 12s');
    expect(text).toBe('L-17: Jane Doe, Acme — claimed by you in 1m 12s');
  });

  it('keeps the lead details in every state, so the message still makes sense later', () => {
    for (const state of ['claimed', 'passed', 'expired', 'withdrawn'] as const) {
      const { blocks } = render(buildModel({ whereabouts: offered }, { state, resolvedAt: NOW + MINUTE }));
      expect(blocks).toEqual(expect.arrayContaining(JSON.parse(JSON.stringify(renderLeadSection(buildLead(), 'acme.com')))));
      expect(texts(blocks)).toContain('*Why you:*');
      expect(actionsOf(blocks)).toEqual([]);
    }
  });

  it.each<[LeadWhereabouts, string]>([
    [{ kind: 'offered', repId: 'U0BOB' }, 'offered to <@U0BOB>'],
    [{ kind: 'claimed', repId: 'U0BOB' }, 'claimed by <@U0BOB>'],
    [{ kind: 'escalated' }, 'escalated to a manager'],
    [{ kind: 'queued' }, 'waiting for someone to become available'],
    [{ kind: 'sequence', sequenceId: 'nurture' }, 'sent to sequence nurture'],
    [{ kind: 'done', repId: 'U0BOB' }, 'already done by <@U0BOB>'],
    [{ kind: 'done', repId: null }, 'already done'],
    [{ kind: 'owned', repId: 'U0BOB' }, 'now owned by <@U0BOB>'],
  ])('says where the lead went: %j', (whereabouts, words) => {
    expect(whereaboutsWords(whereabouts)).toBe(words);
    const passed = render(buildModel({ whereabouts }, { state: 'passed', resolvedAt: NOW + MINUTE }));
    expect(texts(passed.blocks)).toContain(`👋 You passed — ${words}`);
    expect(passed.text).toBe(`L-17: Jane Doe, Acme — you passed, ${words}`);
    const expired = render(buildModel({ whereabouts }, { state: 'expired', resolvedAt: NOW + 5 * MINUTE }));
    expect(texts(expired.blocks)).toContain(`⌛ Expired — ${words}`);
    expect(expired.text).toBe(`L-17: Jane Doe, Acme — expired, ${words}`);
  });

  it('calls the reader "you" where the lead went to them', () => {
    expect(whereaboutsWords({ kind: 'owned', repId: 'U0ALICE' }, 'U0ALICE')).toBe('now owned by you');
  });

  it('escapes a sequence id', () => {
    expect(whereaboutsWords({ kind: 'sequence', sequenceId: 'a<b>&c' })).toBe('sent to sequence a&lt;b&gt;&amp;c');
  });

  it('shows the reason a rep passed, escaped', () => {
    const { blocks } = render(buildModel({ whereabouts: offered }, { state: 'passed', resolvedAt: NOW + MINUTE, reason: 'Too small <for us> & not ICP' }));
    expect(texts(blocks)).toContain('👋 You passed — offered to <@U0BOB>\nReason: Too small &lt;for us&gt; &amp; not ICP');
  });

  it('says only "Expired" when it is not known where the lead went', () => {
    const { blocks } = render(buildModel({}, { state: 'expired', resolvedAt: NOW + 5 * MINUTE }));
    expect(texts(blocks)).toContain('⌛ Expired\n');
  });

  it('shows a withdrawn offer as reassigned to the new owner', () => {
    const { blocks, text } = render(buildModel({ whereabouts: { kind: 'owned', repId: 'U0BOB' } }, { state: 'withdrawn', resolvedAt: NOW + MINUTE }));
    expect(texts(blocks)).toContain('↪️ Reassigned to <@U0BOB>');
    expect(text).toBe('L-17: Jane Doe, Acme — reassigned to <@U0BOB>');
  });

  it('shows an offer withdrawn because the rep went away, and where the lead went', () => {
    const { blocks, text } = render(buildModel({ whereabouts: offered }, { state: 'withdrawn', resolvedAt: NOW + MINUTE, reason: 'away' }));
    expect(texts(blocks)).toContain('↪️ Withdrawn: you went away — offered to <@U0BOB>');
    expect(text).toBe('L-17: Jane Doe, Acme — withdrawn: you went away, offered to <@U0BOB>');
  });

  it('shows any other withdrawal with its reason', () => {
    const { blocks } = render(buildModel({ whereabouts: { kind: 'queued' } }, { state: 'withdrawn', resolvedAt: NOW + MINUTE, reason: 'lead merged' }));
    expect(texts(blocks)).toContain('↪️ Withdrawn: lead merged — waiting for someone to become available');
  });

  it('keeps the attempt and offer time in a context line', () => {
    const { blocks } = render(buildModel({ whereabouts: offered }, { state: 'expired', resolvedAt: NOW + 5 * MINUTE }));
    expect(texts(blocks)).toContain(`Offer 2 of 3 · offered <!date^${NOW / 1000}^`);
  });
});

describe('renderOfferCard, hostile and huge lead text', () => {
  it('puts lead text in plain_text, so that it cannot inject markup or mentions', () => {
    const lead = buildLead({
      name: '<script>alert(1)</script>',
      title: 'Head of R&D',
      company: { name: 'Smith & Sons <!channel>' },
      message: 'Ping <!here> & <@U0CEO> <https://evil.example|click>',
    });
    const { blocks, text } = render(buildModel({ lead, domain: null }));
    const mrkdwn = texts(blocks, 'mrkdwn');
    const plain = texts(blocks, 'plain_text');
    // A header is plain_text, which Slack shows as is: the name appears literally, not as markup.
    expect(blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'New lead L-17 · <script>alert(1)</script>' } });
    expect(plain).toContain('<script>alert(1)</script>, Head of R&D');
    expect(plain).toContain('Smith & Sons <!channel>');
    expect(plain).toContain('“Ping <!here> & <@U0CEO> <https://evil.example|click>”');
    for (const raw of ['<script>', '<!channel>', '<!here>', '<@U0CEO>', '<https://evil.example', 'script', 'Smith', 'Ping']) {
      expect(mrkdwn).not.toContain(raw);
    }
    for (const raw of ['<script>', '<!channel>']) expect(text).not.toContain(raw);
    expect(text).toBe('New lead L-17: &lt;script&gt;alert(1)&lt;/script&gt;, Smith &amp; Sons &lt;!channel&gt; — claim by 14:05 UTC');
  });

  it('shows *, _, ~ and backticks in lead text as typed: never bold, italic, struck or code', () => {
    const lead = buildLead({ name: '*Jane* _Doe_', title: '~CEO~', company: { name: '`Acme`', domain: 'a_b.com' }, message: '*urgent* `rm -rf` ~maybe~ :fire:' });
    const { blocks, text } = render(buildModel({ lead, domain: 'a_b.com', why: 'You own the account a_b.com' }));
    expect(blocks[0]).toMatchObject({ text: { type: 'plain_text', text: 'New lead L-17 · *Jane* _Doe_', emoji: false } });
    expect(blocks[1]).toMatchObject({ text: { type: 'plain_text', text: '*Jane* _Doe_, ~CEO~\n`Acme` (a_b.com)\njane.doe@acme.com · +1 555 0100', emoji: false } });
    expect(blocks[3]).toMatchObject({ text: { type: 'plain_text', text: '“*urgent* `rm -rf` ~maybe~ :fire:”', emoji: false } });
    // In mrkdwn (the "Why you" line, the notification) a marker cannot open or close a style.
    const why = texts(blocks, 'mrkdwn').split('\n').find((line) => line.startsWith('*Why you:*')) ?? '';
    expect(why).toBe('*Why you:* You own the account a\u200B_\u200Bb.com');
    expect(text).toBe('New lead L-17: \u200B*\u200BJane\u200B*\u200B \u200B_\u200BDoe\u200B_\u200B, ˋAcmeˋ — claim by 14:05 UTC');
  });

  it('strips bidirectional controls from lead text, so that "gnp.exe" cannot pose as "exe.png"', () => {
    const rlo = '\u202E';
    const lead = buildLead({ name: `Invoice ${rlo}gnp.exe`, title: '\u2066VP\u2069', company: { name: 'Ac\u202Ame\u202C' }, message: `see ${rlo}fdp.exe`, crm_url: `https://crm.example.com/${rlo}x` });
    const rendered = render(buildModel({ lead, domain: null }));
    const all = JSON.stringify(rendered);
    expect(all).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    expect(texts(rendered.blocks, 'plain_text')).toContain('Invoice gnp.exe, VP\nAcme');
    expect(rendered.text).toContain('Invoice gnp.exe, Acme');
  });

  it('does not link a CRM URL that is not http(s)', () => {
    const all = texts(render(buildModel({ lead: buildLead({ crm_url: 'javascript:alert(1)' }) })).blocks);
    expect(all).not.toContain('Open in CRM');
    expect(all).not.toContain('javascript:');
  });

  it('truncates the message excerpt to 280 characters, on one line, with an ellipsis', () => {
    const message = `We need seats.\n\n${'lots of words here '.repeat(100)}`;
    const all = texts(render(buildModel({ lead: buildLead({ message }) })).blocks, 'plain_text');
    const quote = all.split('\n').find((line) => line.startsWith('“'));
    expect(quote).toBeDefined();
    const excerpt = (quote ?? '').slice(1, -1);
    expect(excerpt.length).toBeLessThanOrEqual(280);
    expect(excerpt.startsWith('We need seats. lots of words here')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).not.toMatch(/ …$/);
  });

  it('counts the excerpt in characters the reader sees', () => {
    const all = texts(render(buildModel({ lead: buildLead({ message: '&'.repeat(1000) }) })).blocks, 'plain_text');
    const quote = all.split('\n').find((line) => line.startsWith('“')) ?? '';
    expect(quote).toBe(`“${'&'.repeat(279)}…”`);
  });

  it('keeps the header within 150 characters and every block valid with a huge name', () => {
    const name = 'Jane '.repeat(5000);
    const lead = buildLead({ name, title: 'T'.repeat(10_000), company: { name: '&'.repeat(10_000), employees: 5 }, email: `${'x'.repeat(5000)}@acme.com` });
    for (const urgent of [false, true]) {
      const { blocks, text } = render(buildModel({ lead, urgent }));
      const header = blocks[0] as { text: { text: string } };
      expect(header.text.text.length).toBeLessThanOrEqual(150);
      expect(header.text.text.startsWith(urgent ? '🔥 Urgent: L-17 · Jane Jane' : 'New lead L-17 · Jane Jane')).toBe(true);
      expect(header.text.text.endsWith('…')).toBe(true);
      expect(text.length).toBeLessThan(400);
    }
  });

  it('renders a lead with nothing but an e-mail', () => {
    const lead: Lead = { source: 'other', email: 'someone@gmail.com', company: {}, fields: {} };
    const { blocks, text } = render(buildModel({ lead, domain: null }));
    expect(blocks[0]).toMatchObject({ text: { text: 'New lead L-17 · someone@gmail.com' } });
    expect(texts(blocks, 'plain_text')).toContain('Name not given');
    expect(text).toBe('New lead L-17: someone@gmail.com — claim by 14:05 UTC');
  });

  it('says "1 employee" and shows the domain when the company has no name', () => {
    const lead = buildLead({ company: { domain: 'acme.com', employees: 1 } });
    expect(texts(render(buildModel({ lead, domain: 'acme.com' })).blocks)).toContain('acme.com · 1 employee');
  });
});

describe('renderReminder', () => {
  it('tells the rep how long is left and until when, in their time zone', () => {
    const reminder = renderReminder(buildModel(), NOW + 150_000);
    const seconds = (NOW + 5 * MINUTE) / 1000;
    expect(reminder).toEqual({ text: `⏰ L-17 is still yours to claim — 2m 30s left (until <!date^${seconds}^{time}|2026-03-02 14:05 UTC>)` });
  });

  it('says when it expires when less than a second is left', () => {
    expect(renderReminder(buildModel(), NOW + 5 * MINUTE).text).toMatch(/^⏰ L-17 is still yours to claim — it expires <!date\^\d+\^\{time\}\|/);
  });

  it('says what became of an offer that has ended, instead of counting down', () => {
    const expired = renderReminder(buildModel({ whereabouts: { kind: 'offered', repId: 'U0BOB' } }, { state: 'expired', resolvedAt: NOW + 5 * MINUTE }), NOW + 5 * MINUTE);
    expect(expired.text).toBe('⌛ L-17 is no longer waiting for you: expired, offered to <@U0BOB>.');
    const claimed = renderReminder(buildModel({}, { state: 'claimed', resolvedAt: NOW + 3 * MINUTE }), NOW + 3 * MINUTE);
    expect(claimed.text).toBe('✅ L-17 is no longer waiting for you: claimed by you in 3m.');
    expect(claimed.text).not.toContain('left');
  });
});
