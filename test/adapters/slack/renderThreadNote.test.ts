import { describe, expect, it } from 'vitest';
import { renderSeenAgain, renderSequenceNote, renderThreadNote } from '../../../src/adapters/slack/renderThreadNote.ts';

const NOW = Date.UTC(2026, 2, 2, 14, 0, 0);

describe('renderThreadNote', () => {
  it('is a text-only message', () => {
    expect(renderThreadNote('  Seen again via LinkedIn  ')).toEqual({ text: 'Seen again via LinkedIn' });
  });

  it('stays far below Slack’s 40,000 character limit', () => {
    const { text } = renderThreadNote('x'.repeat(50_000));
    expect(text.length).toBeLessThanOrEqual(4000);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('renderSeenAgain', () => {
  it.each([
    ['linkedin', 'LinkedIn'],
    ['form', 'web form'],
    ['email', 'email'],
    ['whatsapp', 'WhatsApp'],
    ['other', 'another source'],
  ] as const)('says the lead was seen again via %s, with a Slack date', (source, words) => {
    expect(renderSeenAgain(source, NOW)).toEqual({ text: `👀 Seen again via ${words} at <!date^${NOW / 1000}^{date_short_pretty} {time}|2026-03-02 14:00 UTC>` });
  });
});

describe('renderSequenceNote', () => {
  it('names the lead, the sequence and the rule, the lead text escaped and without bidi controls', () => {
    const note = renderSequenceNote({
      ref: 'L-17',
      lead: { source: 'form', email: 'jane@acme.com', name: '*Jane* <!channel> \u202Egnp.exe', company: { name: 'Acme' }, fields: {} },
      domain: 'acme.com',
      sequenceId: 'nurture',
      rule: 'Cold lead',
    });
    expect(note).toEqual({ text: 'L-17 (\u200B*\u200BJane\u200B*\u200B &lt;!channel&gt; gnp.exe, Acme) went to sequence *nurture* — rule “Cold lead”.' });
  });
});
