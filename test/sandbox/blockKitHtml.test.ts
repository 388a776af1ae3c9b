import { describe, expect, it } from 'vitest';
import { blockHtml, blocksHtml, elementHtml, escapeHtml, mrkdwnHtml, plainTextHtml, textObjectHtml, type BlockKitContext } from '../../src/sandbox/blockKitHtml.ts';

// ---- a strict little HTML reader -------------------------------------------------------------------
// The renderer's output is parsed instead of string-matched: every tag must be well formed and closed,
// every attribute value quoted, every `&` an entity we know. Raw input that slipped through unescaped
// (a `<`, a `>`, a stray `"` or `&`) makes the parse throw, so a test fails on it.

interface HtmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: HtmlNode[];
}
type HtmlNode = HtmlElement | string;

const VOID_TAGS = new Set(['br', 'hr', 'img']);
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&([a-z0-9#]+);|&/g, (whole, name: string | undefined) => {
    const char = name === undefined ? undefined : ENTITIES[name];
    if (char === undefined) throw new Error(`stray ${JSON.stringify(whole)} in ${JSON.stringify(text)}`);
    return char;
  });
}

function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { tag: '#root', attrs: {}, children: [] };
  const stack = [root];
  const token = /<\/([a-z][a-z0-9]*)>|<([a-z][a-z0-9]*)((?:\s+[a-z][a-z0-9-]*(?:="[^"<>]*")?)*)>|([^<>]+)/y;
  let pos = 0;
  while (pos < html.length) {
    token.lastIndex = pos;
    const match = token.exec(html);
    if (!match) throw new Error(`not well-formed HTML at ${pos}: ${JSON.stringify(html.slice(pos, pos + 60))}`);
    pos = token.lastIndex;
    const top = stack[stack.length - 1]!;
    const [, closing, opening, attrText, text] = match;
    if (closing !== undefined) {
      if (top.tag !== closing) throw new Error(`</${closing}> closes <${top.tag}> in ${html}`);
      stack.pop();
    } else if (opening !== undefined) {
      const attrs: Record<string, string> = {};
      for (const [, name, value] of (attrText ?? '').matchAll(/([a-z][a-z0-9-]*)(?:="([^"]*)")?/g)) {
        if (name === undefined || name in attrs) throw new Error(`duplicate attribute ${name} in ${html}`);
        attrs[name] = decodeEntities(value ?? '');
      }
      const element: HtmlElement = { tag: opening, attrs, children: [] };
      top.children.push(element);
      if (!VOID_TAGS.has(opening)) stack.push(element);
    } else {
      top.children.push(decodeEntities(text ?? ''));
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.tag}> in ${html}`);
  return root;
}

function elements(node: HtmlElement): HtmlElement[] {
  return node.children.flatMap((child) => (typeof child === 'string' ? [] : [child, ...elements(child)]));
}

const byTag = (node: HtmlElement, tag: string) => elements(node).filter((e) => e.tag === tag);
const byClass = (node: HtmlElement, cls: string) => elements(node).filter((e) => (e.attrs.class ?? '').split(' ').includes(cls));
const classes = (element: HtmlElement) => (element.attrs.class ?? '').split(' ').filter((c) => c !== '');

/** What a reader sees: text with `<br>` as a line break. */
function textOf(node: HtmlNode): string {
  if (typeof node === 'string') return node;
  if (node.tag === 'br') return '\n';
  return node.children.map(textOf).join('');
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

// Tags the renderer may produce; anything else came from the input.
const ALLOWED_TAGS = new Set(['div', 'span', 'b', 'i', 's', 'code', 'pre', 'a', 'br', 'hr', 'img', 'button', 'select', 'option', 'optgroup', 'time']);

/** The HTML parses, uses only the renderer's own tags, no event handlers, no script URLs. */
function expectInert(html: string): HtmlElement {
  expect(html).not.toMatch(/<script/i);
  const root = parseHtml(html);
  for (const element of elements(root)) {
    expect(ALLOWED_TAGS.has(element.tag), `unexpected <${element.tag}>`).toBe(true);
    for (const [name, value] of Object.entries(element.attrs)) {
      expect(name.startsWith('on'), `event handler ${name}`).toBe(false);
      expect(name).not.toBe('style');
      if (name === 'href' || name === 'src') expect(value).not.toMatch(/^\s*(javascript|data|vbscript):/i);
    }
    if (element.tag === 'a') expect(element.attrs.href).toMatch(/^(https?:|mailto:|tel:)/);
  }
  return root;
}

// ---- the workspace the viewer sees -------------------------------------------------------------------

/** 2026-11-24 22:00:00 UTC: 23:00 in Berlin, 17:00 in New York, 07:00 the next day in Tokyo. */
const TS = 1_795_557_600;
const NOW = TS * 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const USERS: Record<string, string> = { U0ALICE: 'Alice Example', U0BOB: 'Bob Example', U0CAROL: 'Carol Example' };
const CHANNELS: Record<string, string> = { C0SALESMGR: 'lead-escalations' };

function context(overrides: Partial<BlockKitContext> = {}): BlockKitContext {
  return {
    userName: (id) => USERS[id],
    channelName: (id) => CHANNELS[id],
    users: Object.entries(USERS).map(([id, name]) => ({ id, name })),
    timeZone: 'Europe/Berlin',
    now: NOW,
    ...overrides,
  };
}

const md = (text: string, ctx = context()) => parseHtml(mrkdwnHtml(text, ctx));
/** Some ICU versions put a narrow no-break space before AM/PM; compare with a plain one. */
const spaced = (text: string) => text.replace(/[\u202f\u00a0]/g, ' ');
const dateText = (text: string, ctx = context()) => spaced(textOf(md(text, ctx)));

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const blocks = (list: Record<string, unknown>[], ctx = context()) => parseHtml(blocksHtml(list, '', ctx));

const SCRIPT = '<script>alert(1)</script>';
const BREAKOUT = '"><img src=x onerror=alert(1)>';
const PAYLOADS = [SCRIPT, BREAKOUT, "' onmouseover='alert(1)", '&amp; <b>not bold</b>'];
/** What mrkdwn shows for text: Slack's three entities decoded (plain_text shows them as written). */
const slackShown = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// ---- escaping ------------------------------------------------------------------------------------------

describe('escaping: input is shown, never interpreted', () => {
  it('escapeHtml escapes the five characters that matter in text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it.each(PAYLOADS)('a lead named %j is inert in a header, plain_text, mrkdwn and a field', (name) => {
    const html = blocksHtml(
      [
        { type: 'header', text: plain(name) },
        { type: 'section', text: plain(name) },
        { type: 'section', text: mrkdwn(`New lead: ${name}`), fields: [mrkdwn(`*Name*\n${name}`), plain(name)] },
        { type: 'context', elements: [mrkdwn(name), plain(name)] },
      ],
      '',
      context(),
    );
    const root = expectInert(html);
    expect(byTag(root, 'img')).toHaveLength(0);
    expect(textOf(only(byClass(root, 'bk-header')))).toBe(name);
    // The lead's name is visible verbatim wherever it went (mrkdwn shows a raw `<…>` as written).
    expect(byClass(root, 'bk-text').map(textOf)).toEqual([name, `New lead: ${slackShown(name)}`]);
    expect(byClass(root, 'bk-field').map(textOf)).toEqual([`Name\n${slackShown(name)}`, name]);
    expect(textOf(only(byClass(root, 'bk-context')))).toBe(`${slackShown(name)}${name}`);
  });

  it('shows a name the bot escaped for Slack (&lt;script&gt;) as the original characters, still inert', () => {
    const escaped = SCRIPT.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const html = mrkdwnHtml(`Lead: *${escaped}*`, context());
    const root = expectInert(html);
    expect(textOf(root)).toBe(`Lead: ${SCRIPT}`);
    expect(textOf(only(byTag(root, 'b')))).toBe(SCRIPT);
  });

  it.each(PAYLOADS)('%j in button text, value, action_id, block_id and confirm stays inside its attribute', (payload) => {
    const html = blockHtml(
      {
        type: 'actions',
        block_id: payload,
        elements: [{ type: 'button', text: plain(payload), value: payload, action_id: payload, style: 'primary', confirm: { title: plain(payload), text: plain(payload) } }],
      },
      context(),
    );
    const root = expectInert(html);
    const button = only(byTag(root, 'button'));
    expect(textOf(button)).toBe(payload);
    expect(button.attrs['data-value']).toBe(payload);
    expect(button.attrs['data-action-id']).toBe(payload);
    expect(button.attrs['data-block-id']).toBe(payload);
    expect(button.attrs['data-confirm']).toBe(`${payload}\n\n${payload}`);
  });

  it.each(PAYLOADS)('%j in option text, option value, placeholder, group label and user names is inert', (payload) => {
    const ctx = context({ users: [{ id: 'U0ALICE', name: payload }] });
    const option = { text: plain(payload), value: payload };
    const html = blockHtml(
      {
        type: 'actions',
        elements: [
          { type: 'static_select', action_id: 'a', placeholder: plain(payload), options: [option] },
          { type: 'static_select', action_id: 'b', option_groups: [{ label: plain(payload), options: [option] }] },
          { type: 'overflow', action_id: 'c', options: [option] },
          { type: 'users_select', action_id: 'd', placeholder: plain(payload) },
        ],
      },
      ctx,
    );
    const root = expectInert(html);
    const selects = byTag(root, 'select');
    expect(selects).toHaveLength(4);
    const offered = byTag(root, 'option').filter((o) => o.attrs.value !== '');
    expect(offered.map((o) => [o.attrs.value, textOf(o)])).toEqual([
      [payload, payload],
      [payload, payload],
      [payload, payload],
      ['U0ALICE', payload],
    ]);
    expect(only(byTag(root, 'optgroup')).attrs.label).toBe(payload);
    expect(selects[0]!.attrs['aria-label']).toBe(payload);
    expect(selects[3]!.attrs['aria-label']).toBe(payload);
  });

  it('keeps image URLs and alt texts inside their attributes', () => {
    const html = blocksHtml(
      [
        { type: 'image', image_url: `https://img.example/a.png?${BREAKOUT}`, alt_text: BREAKOUT, title: plain(SCRIPT) },
        { type: 'context', elements: [{ type: 'image', image_url: 'https://img.example/b.png', alt_text: SCRIPT }] },
      ],
      '',
      context(),
    );
    const root = expectInert(html);
    const [big, small] = byTag(root, 'img');
    expect(big!.attrs).toMatchObject({ src: `https://img.example/a.png?${BREAKOUT}`, alt: BREAKOUT });
    expect(small!.attrs).toMatchObject({ src: 'https://img.example/b.png', alt: SCRIPT, class: 'bk-image-small' });
    expect(textOf(only(byClass(root, 'bk-image-title')))).toBe(SCRIPT);
  });

  it('keeps a user or channel name from the workspace inert', () => {
    const ctx = context({ userName: () => SCRIPT, channelName: () => BREAKOUT });
    const root = expectInert(mrkdwnHtml('<@U0EVIL> in <#C0EVIL>', ctx));
    expect(textOf(root)).toBe(`@${SCRIPT} in #${BREAKOUT}`);
  });

  it('keeps a quote character in a link URL inside the href', () => {
    const root = expectInert(mrkdwnHtml('<https://x.example/"onmouseover="alert(1)|label>', context()));
    const link = only(byTag(root, 'a'));
    expect(link.attrs.href).toBe('https://x.example/"onmouseover="alert(1)');
    expect(Object.keys(link.attrs).sort()).toEqual(['href', 'rel', 'target']);
  });

  it('does not link javascript: URLs, in a mrkdwn link, a date link or a url button', () => {
    const root = expectInert(
      blocksHtml(
        [
          { type: 'section', text: mrkdwn('<javascript:alert(1)|click> and <!date^1795557600^{date_num}^javascript:alert(1)|fallback>') },
          { type: 'actions', elements: [{ type: 'button', action_id: 'open', text: plain('Open'), url: 'javascript:alert(1)' }] },
        ],
        '',
        context(),
      ),
    );
    expect(byTag(root, 'a')).toHaveLength(0);
    expect(textOf(only(byClass(root, 'bk-text')))).toBe('<javascript:alert(1)|click> and 2026-11-24');
    expect(textOf(only(byClass(root, 'bk-button')))).toBe('Open');
  });

  it('takes only the styles Slack knows as button classes', () => {
    const root = expectInert(
      elementHtml({ type: 'button', action_id: 'a', text: plain('Go'), style: '"><img src=x onerror=alert(1)>' }, undefined, context()),
    );
    expect(byTag(root, 'img')).toHaveLength(0);
    expect(classes(only(byTag(root, 'button')))).toEqual(['bk-button']);
  });

  it('strips private-use placeholder characters from the input instead of letting them alias saved HTML', () => {
    const root = expectInert(mrkdwnHtml('`code` then \uE0000\uE001 and <@U0ALICE>', context()));
    expect(textOf(root)).toBe('code then 0 and @Alice Example');
  });
});

// ---- mrkdwn --------------------------------------------------------------------------------------------

describe('mrkdwn: text', () => {
  it("decodes Slack's &lt; &gt; &amp; to < > & and escapes them again for HTML", () => {
    const html = mrkdwnHtml('Fish &amp; Chips &lt;3, a &gt; b', context());
    expect(html).toBe('Fish &amp; Chips &lt;3, a &gt; b');
    expect(textOf(parseHtml(html))).toBe('Fish & Chips <3, a > b');
  });

  it('decodes only once: &amp;lt; shows as the text "&lt;"', () => {
    expect(textOf(md('write &amp;lt; for <'))).toBe('write &lt; for <');
  });

  it('renders *bold*, _italic_ and ~strike~', () => {
    const root = md('*bold* _italic_ ~strike~ plain');
    expect(textOf(only(byTag(root, 'b')))).toBe('bold');
    expect(textOf(only(byTag(root, 'i')))).toBe('italic');
    expect(textOf(only(byTag(root, 's')))).toBe('strike');
    expect(textOf(root)).toBe('bold italic strike plain');
  });

  it('leaves markers inside words and arithmetic alone', () => {
    const text = 'snake_case_name, 2*3*4, file~1~2 and a_b';
    const root = md(text);
    expect(elements(root)).toEqual([]);
    expect(textOf(root)).toBe(text);
  });

  it('styles next to punctuation and quotes, as Slack does', () => {
    const root = md(`*Alice*'s lead ("*hot*"), '_maybe_', (~old~).`);
    expect(byTag(root, 'b').map(textOf)).toEqual(['Alice', 'hot']);
    expect(byTag(root, 'i').map(textOf)).toEqual(['maybe']);
    expect(byTag(root, 's').map(textOf)).toEqual(['old']);
    expect(textOf(root)).toBe(`Alice's lead ("hot"), 'maybe', (old).`);
  });

  it('needs the markers to hug the text, and a style does not run across lines', () => {
    const root = md('* not bold* and *not bold either *\n*half\nline*');
    expect(elements(root).filter((e) => e.tag !== 'br')).toEqual([]);
    expect(textOf(root)).toBe('* not bold* and *not bold either *\n*half\nline*');
  });

  it('nests styles and styles a link', () => {
    const root = md('*_both_* and *<https://acme.example|Acme>*');
    const [both, link] = byTag(root, 'b');
    expect(only(byTag(both!, 'i')).children).toEqual(['both']);
    expect(only(byTag(link!, 'a')).attrs.href).toBe('https://acme.example');
  });

  it('turns known emoji shortcodes into emoji and leaves unknown ones', () => {
    expect(textOf(md(':fire: lead :not_an_emoji:'))).toBe('🔥 lead :not_an_emoji:');
  });

  it('shows inline code verbatim: no styles, no emoji, entities decoded', () => {
    const root = md('run `*not bold* _x_ :fire: a &lt; b` now');
    const code = only(byTag(root, 'code'));
    expect(code.children).toEqual(['*not bold* _x_ :fire: a < b']);
    expect(byTag(root, 'b')).toHaveLength(0);
    expect(textOf(root)).toBe('run *not bold* _x_ :fire: a < b now');
  });

  it('shows a ``` block verbatim with its line breaks, dropping the newline after the fence', () => {
    const root = md('before\n```\n*x* _y_\n  indented &amp; :fire:\n```\nafter');
    const pre = only(byTag(root, 'pre'));
    expect(pre.children).toEqual(['*x* _y_\n  indented & :fire:\n']);
    expect(byTag(pre, 'br')).toHaveLength(0);
    expect(byTag(root, 'b')).toHaveLength(0);
    expect(textOf(root)).toBe('before\n*x* _y_\n  indented & :fire:\n\nafter');
  });

  it('quotes lines that start with > (as sent, or as Slack stores it: &gt;)', () => {
    const root = md('> first\n&gt; second\nnot quoted, a > b\n>*bold quote*');
    expect(byClass(root, 'bk-quote').map(textOf)).toEqual(['first', 'second', 'bold quote']);
    expect(textOf(root)).toBe('first\nsecond\nnot quoted, a > b\nbold quote');
    expect(textOf(only(byTag(byClass(root, 'bk-quote')[2]!, 'b')))).toBe('bold quote');
  });

  it('quotes everything after >>>', () => {
    const root = md('intro\n>>> one\ntwo\n\nthree');
    expect(byClass(root, 'bk-quote').map(textOf)).toEqual(['one', 'two', '', 'three']);
    expect(textOf(root)).toBe('intro\none\ntwo\n\nthree');
  });

  it('turns every newline into a line break', () => {
    const root = md('one\ntwo\n\nthree');
    expect(byTag(root, 'br')).toHaveLength(3);
    expect(textOf(root)).toBe('one\ntwo\n\nthree');
  });
});

describe('mrkdwn: mentions and links', () => {
  it('shows inline code inside a link label as code, with no placeholder left behind', () => {
    const root = md('see <https://x.example|the `code` here> ok');
    const link = only(byTag(root, 'a'));
    expect(textOf(link)).toBe('the code here');
    expect(only(byTag(link, 'code')).tag).toBe('code');
    expect(textOf(root)).not.toMatch(/[\uE000\uE001]/);
  });

  it("shows <@U…> as the user's name from the workspace", () => {
    const mention = only(byClass(md('Offered to <@U0ALICE>.'), 'bk-mention'));
    expect(mention.tag).toBe('span');
    expect(mention.attrs['data-user']).toBe('U0ALICE');
    expect(textOf(mention)).toBe('@Alice Example');
  });

  it('shows the label of <@U…|label> for someone the workspace does not know, else the id', () => {
    expect(textOf(md('<@U0X|label> and <@U0NOBODY>'))).toBe('@label and @U0NOBODY');
  });

  it("shows a known user's current name even when the mention carries an old label, as Slack does", () => {
    expect(textOf(md('<@U0ALICE|alice>'))).toBe('@Alice Example');
  });

  it('shows channels by name: from the workspace, else the label, else the id', () => {
    expect(textOf(md('<#C0SALESMGR> <#C1|name> <#C0UNKNOWN>'))).toBe('#lead-escalations #name #C0UNKNOWN');
  });

  it('links <https://…|label> and decodes &amp; in the URL', () => {
    const link = only(byTag(md('See <https://crm.example/lead?id=1&amp;tab=2|the CRM>.'), 'a'));
    expect(link.attrs).toEqual({ href: 'https://crm.example/lead?id=1&tab=2', target: '_blank', rel: 'noopener' });
    expect(textOf(link)).toBe('the CRM');
  });

  it('shows the URL of a link without a label', () => {
    const link = only(byTag(md('<https://crm.example/x>'), 'a'));
    expect(textOf(link)).toBe('https://crm.example/x');
  });

  it('links mailto: and shows the address without the scheme', () => {
    const [labelled, bare] = byTag(md('<mailto:a@b.c|a@b.c> <mailto:lead@acme.example>'), 'a');
    expect(labelled!.attrs.href).toBe('mailto:a@b.c');
    expect(textOf(labelled!)).toBe('a@b.c');
    expect(bare!.attrs.href).toBe('mailto:lead@acme.example');
    expect(textOf(bare!)).toBe('lead@acme.example');
  });

  it('shows <!here>, <!channel>, <!everyone> and a user group as mentions', () => {
    const root = md('<!here> <!channel> <!everyone> <!subteam^S0SALES|@sales-team>');
    expect(byClass(root, 'bk-mention').map(textOf)).toEqual(['@here', '@channel', '@everyone', '@sales-team']);
  });

  it('shows an unknown <…> entity as written', () => {
    expect(textOf(md('a <foo|bar> b'))).toBe('a <foo|bar> b');
  });
});

describe('mrkdwn: <!date^…>', () => {
  const at = (epochSeconds: number, format: string, tz: string, now = NOW) => dateText(`<!date^${epochSeconds}^${format}|fallback>`, context({ timeZone: tz, now }));

  it("shows the time in the viewer's time zone", () => {
    expect(at(TS, '{date_short} at {time}', 'Europe/Berlin')).toBe('Nov 24, 2026 at 11:00 PM');
    expect(at(TS, '{date_short} at {time}', 'America/New_York')).toBe('Nov 24, 2026 at 5:00 PM');
    expect(at(TS, '{date_short} at {time}', 'Asia/Tokyo')).toBe('Nov 25, 2026 at 7:00 AM');
  });

  it('wraps it in <time> with the instant in UTC', () => {
    const time = only(byTag(md(`Due <!date^${TS}^{time}|22:00 UTC> sharp`), 'time'));
    expect(time.attrs.datetime).toBe('2026-11-24T22:00:00.000Z');
    expect(textOf(md(`Due <!date^${TS}^{time}|22:00 UTC> sharp`))).toMatch(/^Due 11:00\s?PM sharp$/u);
  });

  it('formats {date_num}, {date}, {date_long} (with an ordinal, as Slack does) and {time_secs}', () => {
    expect(at(TS, '{date_num}', 'Asia/Tokyo')).toBe('2026-11-25');
    expect(at(TS, '{date_num}', 'America/Los_Angeles')).toBe('2026-11-24');
    expect(at(TS, '{date}', 'Europe/Berlin')).toBe('November 24, 2026');
    expect(at(TS, '{date_long}', 'Europe/Berlin')).toBe('Tuesday, November 24th, 2026');
    expect(at(TS + 5, '{time_secs}', 'Europe/Berlin')).toBe('11:00:05 PM');
  });

  it.each([
    [1, 'Sunday, November 1st, 2026'],
    [2, 'Monday, November 2nd, 2026'],
    [3, 'Tuesday, November 3rd, 2026'],
    [11, 'Wednesday, November 11th, 2026'],
    [12, 'Thursday, November 12th, 2026'],
    [13, 'Friday, November 13th, 2026'],
    [21, 'Saturday, November 21st, 2026'],
    [22, 'Sunday, November 22nd, 2026'],
    [23, 'Monday, November 23rd, 2026'],
  ])('{date_long} of November %i is %s', (day, expected) => {
    const ms = Date.UTC(2026, 10, day, 12);
    expect(at(ms / 1000, '{date_long}', 'UTC', ms + 10 * DAY)).toBe(expected);
  });

  it('says today / tomorrow / yesterday relative to now in the viewer’s zone', () => {
    const inTwoHours = (NOW + 2 * HOUR) / 1000; // 00:00 UTC on the 25th
    expect(at(inTwoHours, '{date_pretty}', 'Europe/Berlin')).toBe('tomorrow'); // 01:00 on the 25th, now 23:00 on the 24th
    expect(at(inTwoHours, '{date_pretty}', 'America/New_York')).toBe('today'); // 19:00 on the 24th, now 17:00
    expect(at((NOW - DAY) / 1000, '{date_short_pretty} {time}', 'Europe/Berlin')).toBe('yesterday 11:00 PM');
    expect(at(TS, '{date_long_pretty}', 'Europe/Berlin')).toBe('today');
  });

  it('falls back to the date itself beyond yesterday and tomorrow', () => {
    const earlier = (NOW - 3 * DAY) / 1000;
    expect(at(earlier, '{date_pretty}', 'Europe/Berlin')).toBe('November 21, 2026');
    expect(at(earlier, '{date_short_pretty}', 'Europe/Berlin')).toBe('Nov 21, 2026');
    expect(at(earlier, '{date_long_pretty}', 'Europe/Berlin')).toBe('Saturday, November 21st, 2026');
    expect(at((NOW + 2 * DAY) / 1000, '{date_pretty}', 'Europe/Berlin')).toBe('November 26, 2026');
  });

  it('counts calendar days across a daylight-saving change', () => {
    // Berlin moves its clocks forward on 2026-03-29; 23:30 that night to 08:00 the next morning is "tomorrow".
    const now = Date.UTC(2026, 2, 29, 21, 30);
    const nextMorning = Date.UTC(2026, 2, 30, 6, 0) / 1000;
    expect(at(nextMorning, '{date_pretty} {time}', 'Europe/Berlin', now)).toBe('tomorrow 8:00 AM');
  });

  it.each([
    ['30 seconds ago', -30_000],
    ['5 minutes ago', -5 * 60_000],
    ['1 hour ago', -HOUR],
    ['3 days ago', -3 * DAY],
    ['in 2 hours', 2 * HOUR],
    ['in 1 minute', 60_000],
  ])('{ago}: %s', (expected, offset) => {
    expect(at((NOW + offset) / 1000, 'posted {ago}', 'Europe/Berlin')).toBe(`posted ${expected}`);
  });

  it.each([
    ['not a number', '<!date^soon^{date}|in a while>'],
    ['an empty epoch', '<!date^^{date}|in a while>'],
    ['an epoch beyond what a Date holds', '<!date^99999999999999^{date}|in a while>'],
    ['no format', `<!date^${TS}|in a while>`],
  ])('shows the fallback text for %s', (_what, text) => {
    const root = md(`Due ${text}.`);
    expect(byTag(root, 'time')).toHaveLength(0);
    expect(textOf(root)).toBe('Due in a while.');
  });

  it('decodes and escapes the fallback text', () => {
    const root = expectInert(mrkdwnHtml('<!date^x^{date}|before &lt;noon&gt; &amp; after>', context()));
    expect(textOf(root)).toBe('before <noon> & after');
  });

  it('links the date when the token string is followed by a URL', () => {
    const link = only(byTag(md(`<!date^${TS}^{date_num}^https://crm.example/lead/17|fallback>`), 'a'));
    expect(link.attrs.href).toBe('https://crm.example/lead/17');
    expect(textOf(only(byTag(link, 'time')))).toBe('2026-11-24');
  });

  it('leaves an unknown token as written', () => {
    expect(at(TS, '{date_num} {nonsense}', 'UTC')).toBe('2026-11-24 {nonsense}');
  });
});

// ---- text objects -----------------------------------------------------------------------------------

describe('text objects', () => {
  it('plain_text is not formatted: markers and <…> stay as written, newlines break, emoji render', () => {
    const root = parseHtml(plainTextHtml('*not bold* <@U0ALICE>\n:tada:'));
    expect(elements(root).map((e) => e.tag)).toEqual(['br']);
    expect(textOf(root)).toBe('*not bold* <@U0ALICE>\n🎉');
  });

  it('plain_text with emoji: false keeps :shortcodes: as typed, like Slack', () => {
    expect(textObjectHtml({ type: 'plain_text', text: ':tada: *x*', emoji: false }, context())).toBe(':tada: *x*');
  });

  it('mrkdwn: markers between zero-width spaces (escaped lead text) do not style', () => {
    expect(textOf(md('\u200B*\u200Bbold\u200B*\u200B and \u200B_\u200Bit\u200B_\u200B'))).toBe('\u200B*\u200Bbold\u200B*\u200B and \u200B_\u200Bit\u200B_\u200B');
  });

  it('textObjectHtml picks mrkdwn or plain_text by type, and renders nothing for a non-object', () => {
    expect(textObjectHtml(mrkdwn('*b*'), context())).toBe('<b>b</b>');
    expect(textObjectHtml(plain('*b*'), context())).toBe('*b*');
    expect(textObjectHtml('*b*', context())).toBe('');
    expect(textObjectHtml(undefined, context())).toBe('');
  });
});

// ---- blocks ------------------------------------------------------------------------------------------

describe('blocks', () => {
  it('header: its plain text, emoji rendered, markers not', () => {
    const header = only(byClass(blocks([{ type: 'header', block_id: 'h1', text: plain(':fire: *New* lead') }]), 'bk-header'));
    expect(classes(header)).toEqual(['bk-block', 'bk-header']);
    expect(header.attrs['data-block-id']).toBe('h1');
    expect(textOf(header)).toBe('🔥 *New* lead');
  });

  it('section: text, fields and an accessory button carrying the block id', () => {
    const root = blocks([
      {
        type: 'section',
        block_id: 'offer_17',
        text: mrkdwn('*Jane Doe* from <https://acme.example|Acme>'),
        fields: [mrkdwn('*Score*\n87'), mrkdwn('*Source*\nform')],
        accessory: { type: 'button', action_id: 'lead_claim', value: '17', text: plain('Claim') },
      },
    ]);
    const section = only(byClass(root, 'bk-section'));
    expect(section.attrs['data-block-id']).toBe('offer_17');
    const text = only(byClass(section, 'bk-text'));
    expect(textOf(only(byTag(text, 'b')))).toBe('Jane Doe');
    expect(only(byTag(text, 'a')).attrs.href).toBe('https://acme.example');
    expect(byClass(section, 'bk-field').map(textOf)).toEqual(['Score\n87', 'Source\nform']);
    const button = only(byTag(only(byClass(section, 'bk-accessory')), 'button'));
    expect(button.attrs).toMatchObject({ type: 'button', 'data-kind': 'button', 'data-action-id': 'lead_claim', 'data-block-id': 'offer_17', 'data-value': '17' });
    expect(textOf(button)).toBe('Claim');
  });

  it('section without text or fields renders neither', () => {
    const section = only(byClass(blocks([{ type: 'section', fields: [mrkdwn('only a field')] }]), 'bk-section'));
    expect(byClass(section, 'bk-text')).toHaveLength(0);
    expect(byClass(section, 'bk-accessory')).toHaveLength(0);
    expect(textOf(section)).toBe('only a field');
  });

  it('context: mrkdwn and an image side by side', () => {
    const root = blocks([{ type: 'context', elements: [{ type: 'image', image_url: 'https://img.example/a.png', alt_text: 'Acme logo' }, mrkdwn('Routed by *Hot lead*')] }]);
    const ctx = only(byClass(root, 'bk-context'));
    const [image, text] = ctx.children as HtmlElement[];
    expect(image!.tag).toBe('img');
    expect(image!.attrs).toEqual({ class: 'bk-image-small', src: 'https://img.example/a.png', alt: 'Acme logo' });
    expect(textOf(text!)).toBe('Routed by Hot lead');
    expect(textOf(only(byTag(text!, 'b')))).toBe('Hot lead');
  });

  it('divider: a rule', () => {
    const divider = only(byClass(blocks([{ type: 'divider' }]), 'bk-divider'));
    expect(only(byTag(divider, 'hr'))).toBeDefined();
  });

  it('image block: title and picture', () => {
    const image = only(byClass(blocks([{ type: 'image', image_url: 'https://img.example/chart.png', alt_text: 'chart', title: plain('Leads this week') }]), 'bk-image'));
    expect(textOf(only(byClass(image, 'bk-image-title')))).toBe('Leads this week');
    expect(only(byTag(image, 'img')).attrs).toEqual({ src: 'https://img.example/chart.png', alt: 'chart' });
  });

  it('actions: buttons with style classes, values, action and block ids', () => {
    const root = blocks([
      {
        type: 'actions',
        block_id: 'offer_actions',
        elements: [
          { type: 'button', action_id: 'lead_claim', value: 'L-17', style: 'primary', text: plain('Claim') },
          { type: 'button', action_id: 'lead_pass', value: 'L-17', style: 'danger', text: plain('Pass') },
          { type: 'button', action_id: 'lead_details', text: plain('Details') },
        ],
      },
    ]);
    const [claim, pass, details] = byTag(root, 'button');
    expect(classes(claim!)).toEqual(['bk-button', 'bk-primary']);
    expect(classes(pass!)).toEqual(['bk-button', 'bk-danger']);
    expect(classes(details!)).toEqual(['bk-button']);
    expect(claim!.attrs).toMatchObject({ 'data-action-id': 'lead_claim', 'data-block-id': 'offer_actions', 'data-value': 'L-17', 'data-kind': 'button' });
    expect(pass!.attrs['data-action-id']).toBe('lead_pass');
    expect(details!.attrs).not.toHaveProperty('data-value');
    expect([claim, pass, details].map((b) => textOf(b!))).toEqual(['Claim', 'Pass', 'Details']);
  });

  it('a block without block_id carries none', () => {
    const button = only(byTag(blocks([{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: plain('A') }] }]), 'button'));
    expect(button.attrs).not.toHaveProperty('data-block-id');
    expect(only(byClass(blocks([{ type: 'divider' }]), 'bk-block')).attrs).not.toHaveProperty('data-block-id');
  });

  it('a url button is a link that opens in a new tab', () => {
    const link = only(byTag(blocks([{ type: 'actions', elements: [{ type: 'button', action_id: 'open_crm', url: 'https://crm.example/lead/17', text: plain('Open in CRM') }] }]), 'a'));
    expect(link.attrs).toMatchObject({ class: 'bk-button', href: 'https://crm.example/lead/17', target: '_blank', rel: 'noopener', 'data-action-id': 'open_crm' });
    expect(textOf(link)).toBe('Open in CRM');
  });

  it("confirm becomes data-confirm: the dialog's title and text as plain text", () => {
    const button = only(
      byTag(
        blocks([
          {
            type: 'actions',
            elements: [
              {
                type: 'button',
                action_id: 'lead_reassign',
                text: plain('Reassign'),
                confirm: { title: plain('Reassign L-17?'), text: mrkdwn("*Alice*'s lead goes to <@U0BOB> &amp; R&amp;D\nsecond line"), confirm: plain('Yes'), deny: plain('No') },
              },
            ],
          },
        ]),
        'button',
      ),
    );
    expect(button.attrs['data-confirm']).toBe("Reassign L-17?\n\nAlice's lead goes to @Bob Example & R&D\nsecond line");
  });

  it('a button without confirm has no data-confirm', () => {
    expect(only(byTag(blocks([{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: plain('A') }] }]), 'button')).attrs).not.toHaveProperty('data-confirm');
  });

  it('users_select: the workspace people, the initial user selected, the placeholder', () => {
    const select = only(byTag(blocks([{ type: 'actions', block_id: 'reassign', elements: [{ type: 'users_select', action_id: 'lead_reassign_to', initial_user: 'U0BOB', placeholder: plain('Pick a rep') }] }]), 'select'));
    expect(select.attrs).toMatchObject({ class: 'bk-select', 'data-kind': 'users_select', 'data-action-id': 'lead_reassign_to', 'data-block-id': 'reassign', 'aria-label': 'Pick a rep' });
    const options = byTag(select, 'option');
    expect(options.map((o) => [o.attrs.value, textOf(o), 'selected' in o.attrs])).toEqual([
      ['', 'Pick a rep', false],
      ['U0ALICE', 'Alice Example', false],
      ['U0BOB', 'Bob Example', true],
      ['U0CAROL', 'Carol Example', false],
    ]);
    expect(options[0]!.attrs).toHaveProperty('disabled');
  });

  it('users_select without an initial user selects the placeholder, with a default text', () => {
    const options = byTag(blocks([{ type: 'actions', elements: [{ type: 'users_select', action_id: 'pick' }] }]), 'option');
    expect(options.filter((o) => 'selected' in o.attrs).map(textOf)).toEqual(['Select a person']);
  });

  it('users_select whose initial user is not offered shows the placeholder, not someone else', () => {
    const options = byTag(blocks([{ type: 'actions', elements: [{ type: 'users_select', action_id: 'pick', initial_user: 'U0GHOST' }] }]), 'option');
    expect(options.filter((o) => 'selected' in o.attrs).map(textOf)).toEqual(['Select a person']);
  });

  it('static_select: options, the initial option selected, the placeholder', () => {
    const select = only(
      byTag(
        blocks([
          {
            type: 'actions',
            elements: [
              {
                type: 'static_select',
                action_id: 'away_for',
                placeholder: plain('How long?'),
                initial_option: { text: plain('1 day'), value: '1d' },
                options: [
                  { text: plain('1 hour'), value: '1h' },
                  { text: plain('1 day'), value: '1d' },
                ],
              },
            ],
          },
        ]),
        'select',
      ),
    );
    expect(select.attrs).toMatchObject({ 'data-kind': 'static_select', 'data-action-id': 'away_for', 'aria-label': 'How long?' });
    expect(byTag(select, 'option').map((o) => [o.attrs.value, textOf(o), 'selected' in o.attrs])).toEqual([
      ['', 'How long?', false],
      ['1h', '1 hour', false],
      ['1d', '1 day', true],
    ]);
  });

  it('static_select with option_groups: one optgroup per group, in order', () => {
    const select = only(
      byTag(
        blocks([
          {
            type: 'actions',
            elements: [
              {
                type: 'static_select',
                action_id: 'route_to',
                option_groups: [
                  { label: plain('Teams'), options: [{ text: plain('senior'), value: 'team:senior' }, { text: plain('sdr'), value: 'team:sdr' }] },
                  { label: plain('Sequences'), options: [{ text: plain('nurture'), value: 'sequence:nurture' }] },
                ],
                initial_option: { text: plain('nurture'), value: 'sequence:nurture' },
              },
            ],
          },
        ]),
        'select',
      ),
    );
    const groups = byTag(select, 'optgroup');
    expect(groups.map((g) => [g.attrs.label, byTag(g, 'option').map((o) => o.attrs.value)])).toEqual([
      ['Teams', ['team:senior', 'team:sdr']],
      ['Sequences', ['sequence:nurture']],
    ]);
    expect(byTag(select, 'option').filter((o) => 'selected' in o.attrs).map((o) => o.attrs.value)).toEqual(['sequence:nurture']);
    expect(textOf(byTag(select, 'option')[0]!)).toBe('Select an option');
  });

  it('static_select whose initial option is not offered shows the placeholder', () => {
    const options = byTag(
      blocks([{ type: 'actions', elements: [{ type: 'static_select', action_id: 'x', initial_option: { text: plain('gone'), value: 'gone' }, options: [{ text: plain('A'), value: 'a' }] }] }]),
      'option',
    );
    expect(options.filter((o) => 'selected' in o.attrs).map((o) => o.attrs.value)).toEqual(['']);
  });

  it('overflow: a menu of options with nothing chosen', () => {
    const select = only(
      byTag(
        blocks([{ type: 'section', block_id: 'lead_17', text: mrkdwn('L-17'), accessory: { type: 'overflow', action_id: 'lead_more', options: [{ text: plain('Snooze'), value: 'snooze' }, { text: plain('Mark done'), value: 'done' }] } }]),
        'select',
      ),
    );
    expect(classes(select)).toEqual(['bk-select', 'bk-overflow']);
    expect(select.attrs).toMatchObject({ 'data-kind': 'overflow', 'data-action-id': 'lead_more', 'data-block-id': 'lead_17' });
    const options = byTag(select, 'option');
    expect(options.map((o) => o.attrs.value)).toEqual(['', 'snooze', 'done']);
    expect(options.filter((o) => 'selected' in o.attrs).map((o) => o.attrs.value)).toEqual(['']);
  });

  it('an unknown block type shows a visible placeholder naming it', () => {
    const unknown = only(byClass(blocks([{ type: 'rich_text', block_id: 'rt1', elements: [] }]), 'bk-unknown'));
    expect(unknown.attrs['data-block-id']).toBe('rt1');
    expect(textOf(unknown)).toBe('[rich_text block]');
    expect(textOf(only(byClass(blocks([{}]), 'bk-unknown')))).toBe('[block block]');
  });

  it('an unknown element type shows a visible placeholder naming it', () => {
    const root = blocks([{ type: 'actions', elements: [{ type: 'datepicker', action_id: 'd' }, { type: 'button', action_id: 'b', text: plain('B') }] }]);
    expect(textOf(only(byClass(root, 'bk-unknown')))).toBe('[datepicker]');
    expect(byTag(root, 'button')).toHaveLength(1);
  });

  it('an unknown type is escaped in its placeholder', () => {
    const root = expectInert(blocksHtml([{ type: SCRIPT }, { type: 'context', elements: [{ type: BREAKOUT }] }], '', context()));
    expect(byClass(root, 'bk-unknown').map(textOf)).toEqual([`[${SCRIPT} block]`, `[${BREAKOUT}]`]);
  });

  it('renders blocks in order', () => {
    const root = blocks([{ type: 'header', text: plain('H') }, { type: 'divider' }, { type: 'section', text: plain('S') }]);
    expect(root.children.map((b) => classes(b as HtmlElement)[1])).toEqual(['bk-header', 'bk-divider', 'bk-section']);
  });

  it('a message without blocks shows its text as mrkdwn', () => {
    for (const list of [undefined, []]) {
      const root = parseHtml(blocksHtml(list, '*Hi* <@U0ALICE>\nsecond line', context()));
      const section = only(byClass(root, 'bk-section'));
      expect(textOf(only(byClass(section, 'bk-text')))).toBe('Hi @Alice Example\nsecond line');
      expect(textOf(only(byTag(section, 'b')))).toBe('Hi');
    }
  });
});
