import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipPlain, escapeClip, escapeMrkdwn, formatCount, slackDate, slackLink, utcTime } from '../../../src/adapters/slack/slackFormat.ts';

describe('escapeMrkdwn', () => {
  it('escapes the three characters Slack treats as markup', () => {
    expect(escapeMrkdwn('<script> & <!channel>')).toBe('&lt;script&gt; &amp; &lt;!channel&gt;');
  });
});

describe('escapeClip', () => {
  it('escapes text that fits', () => {
    expect(escapeClip('Smith & Sons', 50)).toBe('Smith &amp; Sons');
  });

  it('cuts long text to the limit, ending in an ellipsis', () => {
    const clipped = escapeClip('a'.repeat(500), 100);
    expect(clipped).toHaveLength(100);
    expect(clipped.endsWith('…')).toBe(true);
  });

  it('never cuts an entity in half, and never exceeds the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '&', '<', '>', ' ', '😀') , maxLength: 300 }), fc.integer({ min: 2, max: 200 }), (text, max) => {
        const clipped = escapeClip(text, max);
        expect(clipped.length).toBeLessThanOrEqual(max);
        const body = clipped.endsWith('…') && clipped !== escapeMrkdwn(text) ? clipped.slice(0, -1) : clipped;
        expect(body.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
        expect(body).not.toMatch(/[\uD800-\uDBFF]$/);
      }),
    );
  });
});

describe('clipPlain', () => {
  it('keeps text that fits and cuts the rest with an ellipsis', () => {
    expect(clipPlain('Claim', 75)).toBe('Claim');
    expect(clipPlain('x'.repeat(200), 150)).toHaveLength(150);
  });

  it('does not split an emoji', () => {
    const clipped = clipPlain(`${'a'.repeat(8)}😀😀`, 10);
    expect(clipped).toBe(`${'a'.repeat(8)}…`);
  });
});

describe('slackLink', () => {
  it('links an http(s) URL with an escaped label', () => {
    expect(slackLink('https://crm.example.com/leads/9912', 'Open in CRM')).toBe('<https://crm.example.com/leads/9912|Open in CRM>');
    expect(slackLink('https://x.example/?a=1&b=<2>', 'A & B')).toBe('<https://x.example/?a=1&amp;b=&lt;2&gt;|A &amp; B>');
  });

  it('percent-encodes a pipe so that it cannot end the URL early', () => {
    expect(slackLink('https://x.example/a|b', 'x')).toBe('<https://x.example/a%7Cb|x>');
  });

  it.each(['javascript:alert(1)', 'slack://open', 'crm.example.com/leads/1', 'https://x.example/a b', '', `https://x.example/${'a'.repeat(2000)}`])(
    'does not link %j',
    (url) => {
      expect(slackLink(url, 'x')).toBeNull();
    },
  );
});

describe('numbers and times', () => {
  it('groups thousands', () => {
    expect(formatCount(1200)).toBe('1,200');
    expect(formatCount(12)).toBe('12');
  });

  it('formats a UTC time for notification fallbacks', () => {
    expect(utcTime(Date.UTC(2026, 2, 2, 14, 5, 30))).toBe('14:05 UTC');
  });

  it('formats a Slack date with a UTC fallback', () => {
    expect(slackDate(Date.UTC(2026, 2, 2, 14, 5), '{time}')).toBe(`<!date^${Date.UTC(2026, 2, 2, 14, 5) / 1000}^{time}|2026-03-02 14:05 UTC>`);
  });
});
