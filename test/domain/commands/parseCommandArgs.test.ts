import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseDomainArg,
  parseLeadsArgs,
  parseOwnerArgs,
  parseReassignArgs,
  parseUserArg,
  parseUserMention,
  quoteArg,
  tokenize,
  tokenSpans,
} from '../../../src/domain/commands/parseCommandArgs.ts';

describe('tokenize', () => {
  it('splits on any run of whitespace', () => {
    expect(tokenize('  done \t L-17\n')).toEqual(['done', 'L-17']);
    expect(tokenize('done\u00a0L-17')).toEqual(['done', 'L-17']); // Slack clients sometimes send no-break spaces
    expect(tokenize('')).toEqual([]);
    expect(tokenize('   ')).toEqual([]);
  });

  it('keeps a Slack <…> entity whole, spaces in its label included', () => {
    expect(tokenize('<@U0BOB|Bob Smith> 2h')).toEqual(['<@U0BOB|Bob Smith>', '2h']);
    expect(tokenize('<http://acme.com|acme.com> <@U0BOB>')).toEqual(['<http://acme.com|acme.com>', '<@U0BOB>']);
  });

  it('keeps an entity on its own when it touches other text', () => {
    expect(tokenize('2h<@U0BOB><@U0ALICE>,')).toEqual(['2h', '<@U0BOB>', '<@U0ALICE>', ',']);
  });

  it('treats a lone < as text', () => {
    expect(tokenize('a < b')).toEqual(['a', '<', 'b']);
  });

  it('reports where each token is', () => {
    expect(tokenSpans(' L-17  <@U0BOB>')).toEqual([
      { text: 'L-17', start: 1, end: 5 },
      { text: '<@U0BOB>', start: 7, end: 15 },
    ]);
  });

  it('never returns an empty token, nor whitespace outside an entity', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        for (const token of tokenize(text)) {
          expect(token).not.toBe('');
          if (!token.startsWith('<') || token === '<') expect(token).not.toMatch(/\s/);
        }
      }),
    );
  });
});

describe('parseUserMention', () => {
  it('reads a mention with or without the name Slack adds', () => {
    expect(parseUserMention('<@U0BOB|bob>')).toBe('U0BOB');
    expect(parseUserMention('<@U0BOB>')).toBe('U0BOB');
    expect(parseUserMention(' <@W0BOB|Bob Smith> ')).toBe('W0BOB');
  });

  it('is null for anything that is not a user mention', () => {
    for (const token of ['@bob', 'U0BOB', '<#C0SALES|sales>', '<!subteam^S0SALES|@sales>', '<!here>', '<@u0bob>', '<@U0BOB', '<https://acme.com>', '']) {
      expect(parseUserMention(token)).toBeNull();
    }
  });
});

describe('parseUserArg', () => {
  it('accepts a mention', () => {
    expect(parseUserArg('<@U0BOB|bob>')).toEqual({ ok: true, value: 'U0BOB' });
  });

  it('says why a token is not a person', () => {
    expect(parseUserArg('@bob')).toEqual({ ok: false, error: '"@bob" is not someone Slack recognises: pick the person from the @ suggestions.' });
    expect(parseUserArg('<!subteam^S0SALES|@sales>')).toEqual({ ok: false, error: '"@sales" is a user group: name one person with @.' });
    expect(parseUserArg('<#C0SALES|sales>')).toEqual({ ok: false, error: '"#sales" is a channel: name a person with @.' });
    expect(parseUserArg('<!channel>')).toEqual({ ok: false, error: '"<!channel>" is not a person: name one with @.' });
    expect(parseUserArg('bob')).toEqual({ ok: false, error: '"bob" is not a person: name one with @.' });
  });
});

describe('quoteArg', () => {
  it('quotes a token and cuts a very long one', () => {
    expect(quoteArg('L17')).toBe('"L17"');
    expect(quoteArg('x'.repeat(200))).toBe(`"${'x'.repeat(59)}…"`);
  });
});

describe('parseDomainArg', () => {
  it.each([
    ['acme.com', 'acme.com'],
    ['Acme.COM', 'acme.com'],
    ['www.acme.com', 'acme.com'],
    ['acme.com.', 'acme.com'],
    ['eu.acme.co.uk', 'eu.acme.co.uk'],
    ['https://www.acme.com/about?x=1', 'acme.com'],
    ['<http://acme.com|acme.com>', 'acme.com'],
    ['<https://www.Acme.com/pricing|acme.com/pricing>', 'acme.com'],
    ['<http://acme.com>', 'acme.com'],
    ['bücher.de', 'bücher.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
  ])('reads %j as %j', (token, domain) => {
    expect(parseDomainArg(token)).toBe(domain);
  });

  it.each(['acme', 'L-17', '10.0.0.1', 'jane@acme.com', '<mailto:jane@acme.com|jane@acme.com>', 'acme.com:8080', '-acme.com', 'acme-.com', 'acme..com',
    'acme.c', '<#C0SALES|acme.com>', '<@U0BOB>', 'ftp://acme.com', 'acme_corp.com', ''])('is null for %j', (token) => {
    expect(parseDomainArg(token)).toBeNull();
  });
});

describe('parseLeadsArgs', () => {
  it.each([
    ['', { kind: 'mine' }],
    ['   ', { kind: 'mine' }],
    ['help', { kind: 'help' }],
    ['HELP', { kind: 'help' }],
    ['L-17', { kind: 'show', leadId: 17 }],
    ['l-17', { kind: 'show', leadId: 17 }],
    ['done L-17', { kind: 'done', leadId: 17 }],
    ['  Done   l-17 ', { kind: 'done', leadId: 17 }],
    ['team', { kind: 'team' }],
    ['Team', { kind: 'team' }],
    ['stats', { kind: 'stats' }],
    ['STATS', { kind: 'stats' }],
    ['L-999999', { kind: 'show', leadId: 999999 }],
  ])('reads %j', (text, value) => {
    expect(parseLeadsArgs(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['mine please', 'I don\'t understand "mine".'],
    ['done', '`/leads done` needs a lead reference, like `/leads done L-17`.'],
    ['done 17', '"17" is not a lead reference (did you mean L-17?).'],
    ['done lead', '"lead" is not a lead reference, like L-17.'],
    ['L17', '"L17" is not a lead reference (did you mean L-17?).'],
    ['#17', '"#17" is not a lead reference (did you mean L-17?).'],
    ['L-0', '"L-0" is not a lead reference, like L-17.'],
    ['L-17 L-18', 'Unexpected "L-18" after "L-17".'],
    ['done L-17 now', 'Unexpected "now" after "L-17".'],
    ['team <@U0BOB>', 'Unexpected "<@U0BOB>" after "team".'],
    ['stats 7d', 'Unexpected "7d" after "stats".'],
  ])('refuses %j, naming the bad token', (text, error) => {
    expect(parseLeadsArgs(text)).toEqual({ ok: false, error });
  });
});

describe('parseReassignArgs', () => {
  it('reads a lead and a rep', () => {
    expect(parseReassignArgs('L-17 <@U0BOB|bob>')).toEqual({ ok: true, value: { kind: 'reassign', leadId: 17, to: 'U0BOB', reason: null } });
    expect(parseReassignArgs('  l-17   <@U0BOB>  ')).toEqual({ ok: true, value: { kind: 'reassign', leadId: 17, to: 'U0BOB', reason: null } });
  });

  it('keeps the reason as typed', () => {
    expect(parseReassignArgs('L-17 <@U0BOB|bob> she knows  the CTO\nfrom <https://acme.com|acme.com>')).toEqual({
      ok: true,
      value: { kind: 'reassign', leadId: 17, to: 'U0BOB', reason: 'she knows  the CTO\nfrom <https://acme.com|acme.com>' },
    });
  });

  it('accepts the rep before the lead', () => {
    expect(parseReassignArgs('<@U0BOB> L-17 on holiday')).toEqual({ ok: true, value: { kind: 'reassign', leadId: 17, to: 'U0BOB', reason: 'on holiday' } });
  });

  it('answers help, and help with nothing', () => {
    expect(parseReassignArgs('help')).toEqual({ ok: true, value: { kind: 'help' } });
    expect(parseReassignArgs('Help')).toEqual({ ok: true, value: { kind: 'help' } });
    expect(parseReassignArgs('')).toEqual({ ok: true, value: { kind: 'help' } });
  });

  it.each([
    ['L-17', 'Who should get "L-17"? Add the rep, like `/reassign L-17 @bob`.'],
    ['L17 <@U0BOB>', '"L17" is not a lead reference (did you mean L-17?).'],
    ['acme <@U0BOB>', '"acme" is not a lead reference, like L-17.'],
    ['L-17 @bob', '"@bob" is not someone Slack recognises: pick the person from the @ suggestions.'],
    ['L-17 bob', '"bob" is not a person: name one with @.'],
    ['L-17 <!subteam^S0SALES|@sales>', '"@sales" is a user group: name one person with @.'],
    ['<@U0BOB>', '"<@U0BOB>" is not a lead reference, like L-17.'],
  ])('refuses %j, naming the bad token', (text, error) => {
    expect(parseReassignArgs(text)).toEqual({ ok: false, error });
  });
});

describe('parseOwnerArgs', () => {
  it.each([
    ['acme.com', { kind: 'show', domain: 'acme.com' }],
    ['<http://acme.com|acme.com>', { kind: 'show', domain: 'acme.com' }],
    ['acme.com <@U0BOB|bob>', { kind: 'set', domain: 'acme.com', owner: 'U0BOB' }],
    ['  <http://www.Acme.com|www.Acme.com>   <@U0BOB>  ', { kind: 'set', domain: 'acme.com', owner: 'U0BOB' }],
    ['<@U0BOB> acme.com', { kind: 'set', domain: 'acme.com', owner: 'U0BOB' }],
    ['acme.com none', { kind: 'clear', domain: 'acme.com' }],
    ['acme.com NONE', { kind: 'clear', domain: 'acme.com' }],
    ['help', { kind: 'help' }],
    ['', { kind: 'help' }],
  ])('reads %j', (text, value) => {
    expect(parseOwnerArgs(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['acme', '"acme" is not a domain, like acme.com.'],
    ['<mailto:jane@acme.com|jane@acme.com> <@U0BOB>', '"<mailto:jane@acme.com|jane@acme.com>" is not a domain, like acme.com.'],
    ['acme.com bob', '"bob" is not a person: name one with @. Or use `none` to clear the owner.'],
    ['acme.com @bob', '"@bob" is not someone Slack recognises: pick the person from the @ suggestions. Or use `none` to clear the owner.'],
    ['acme.com <@U0BOB> now', 'Unexpected "now" after "<@U0BOB>".'],
    ['acme.com none please', 'Unexpected "please" after "none".'],
  ])('refuses %j, naming the bad token', (text, error) => {
    expect(parseOwnerArgs(text)).toEqual({ ok: false, error });
  });
});

describe('command parsers: properties', () => {
  it('never throw, and always give a value or a non-empty error', () => {
    const words = fc.constantFrom('help', 'done', 'team', 'stats', 'none', 'L-17', 'l-0', 'L17', 'acme.com', '<http://acme.com|acme.com>', '<@U0BOB|bob>', '<@U0BOB>', '@bob', '<', '>', '|');
    const texts = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.array(words, { maxLength: 4 }).map((list) => list.join(' ')));
    fc.assert(
      fc.property(texts, (text) => {
        for (const result of [parseLeadsArgs(text), parseReassignArgs(text), parseOwnerArgs(text)]) {
          if (!result.ok) expect(result.error.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
