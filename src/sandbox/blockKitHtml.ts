/**
 * Block Kit and mrkdwn to HTML, for the sandbox page: what a Slack client would show for the blocks
 * the bot sent, with interactive elements as real buttons and selects carrying their `action_id`,
 * `block_id` and value, so a click on the page becomes a signed `block_actions` request.
 *
 * Pure: the workspace's names and the viewer's time zone come in as `BlockKitContext`. Everything
 * that comes from a message is escaped; unknown blocks and elements are shown as a labelled
 * placeholder rather than dropped, so a renderer bug is visible in the sandbox.
 */

export interface BlockKitContext {
  /** Display name for a user id (`<@U…>` mentions, users_select options). */
  userName(id: string): string | undefined;
  /** Name for a channel id (`<#C…>` without a label). */
  channelName(id: string): string | undefined;
  /** Members offered by a users_select: id and name. */
  users: readonly { id: string; name: string }[];
  /** IANA time zone of the person looking: `<!date^…>` is shown in it, like Slack does. */
  timeZone: string;
  /** Epoch ms, for `{ago}`. */
  now: number;
}

type Json = Record<string, unknown>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** For text between tags, where quotes need no escaping (so mrkdwn styles can see them). */
function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** Schemes the page may link to; a `javascript:` or `data:` URL from a message is never made a link. */
const SAFE_URL = /^(https?:|mailto:|tel:)/i;

/** Slack escapes `&`, `<` and `>` in message text; undo that before escaping for HTML. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const asString = (value: unknown): string => (typeof value === 'string' ? value : '');
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null) as Json[]) : []);
const asObject = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);

/** A few shortcodes Slack turns into emoji (`emoji: true` text and mrkdwn). */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  warning: '⚠️',
  fire: '🔥',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  alarm_clock: '⏰',
  bell: '🔔',
  rotating_light: '🚨',
  raised_hand: '✋',
  wave: '👋',
  inbox_tray: '📥',
  palm_tree: '🌴',
  tada: '🎉',
  star: '⭐',
  bust_in_silhouette: '👤',
  office: '🏢',
  email: '📧',
  phone: '📞',
  link: '🔗',
  memo: '📝',
  arrow_right: '➡️',
  zzz: '💤',
};

function emojify(escaped: string): string {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

export function plainTextHtml(text: string, emoji = true): string {
  const html = escapeHtml(text);
  return (emoji ? emojify(html) : html).replace(/\n/g, '<br>');
}

// ---- <!date^…> -----------------------------------------------------------------------------------

function formatDateToken(token: string, date: Date, context: BlockKitContext): string {
  const tz = context.timeZone;
  const fmt = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-US', { timeZone: tz, ...options }).format(date);
  const dayDiff = () => {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    return Math.round((Date.parse(day.format(date)) - Date.parse(day.format(new Date(context.now)))) / 86_400_000);
  };
  const ordinal = (day: number) => {
    const teen = day % 100 >= 11 && day % 100 <= 13;
    return `${day}${teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[day % 10] ?? 'th'}`;
  };
  /** `Tuesday, February 18th, 2014`, as Slack writes {date_long}. */
  const long = () => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).formatToParts(date).map((part) => [part.type, part.value]),
    );
    return `${parts.weekday}, ${parts.month} ${ordinal(Number(parts.day))}, ${parts.year}`;
  };
  const pretty = (fallback: string) => {
    const diff = dayDiff();
    if (diff === 0) return 'today';
    if (diff === -1) return 'yesterday';
    if (diff === 1) return 'tomorrow';
    return fallback;
  };
  switch (token) {
    case 'date_num':
      return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
    case 'date':
      return fmt({ month: 'long', day: 'numeric', year: 'numeric' });
    case 'date_short':
      return fmt({ month: 'short', day: 'numeric', year: 'numeric' });
    case 'date_long':
      return long();
    case 'date_pretty':
      return pretty(fmt({ month: 'long', day: 'numeric', year: 'numeric' }));
    case 'date_short_pretty':
      return pretty(fmt({ month: 'short', day: 'numeric', year: 'numeric' }));
    case 'date_long_pretty':
      return pretty(long());
    case 'time':
      return fmt({ hour: 'numeric', minute: '2-digit' });
    case 'time_secs':
      return fmt({ hour: 'numeric', minute: '2-digit', second: '2-digit' });
    case 'ago': {
      const seconds = Math.round((context.now - date.getTime()) / 1000);
      const abs = Math.abs(seconds);
      const [value, unit] = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86_400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86_400), 'day'];
      const label = `${value} ${unit}${value === 1 ? '' : 's'}`;
      return seconds >= 0 ? `${label} ago` : `in ${label}`;
    }
    default:
      return `{${token}}`;
  }
}

/** `<!date^1700000000^{date_short} at {time}^https://…|fallback>` (the part after `!date^`). */
function dateHtml(spec: string, fallback: string, context: BlockKitContext): string {
  const [epoch = '', format, link] = spec.split('^');
  const date = new Date(Number(epoch) * 1000);
  // An empty or non-numeric epoch, or one past what a Date holds, shows the fallback as Slack does.
  if (!/^-?\d+(\.\d+)?$/.test(epoch) || Number.isNaN(date.getTime()) || format === undefined) return escapeHtml(fallback);
  const text = format.replace(/\{([a-z_]+)\}/g, (_whole, token: string) => formatDateToken(token, date, context));
  const title = escapeHtml(date.toISOString());
  const body = `<time datetime="${title}" title="${title}">${escapeHtml(text)}</time>`;
  return link && SAFE_URL.test(link) ? `<a href="${escapeHtml(link)}" target="_blank" rel="noopener">${body}</a>` : body;
}

// ---- mrkdwn ----------------------------------------------------------------------------------------

/** One `<…>` entity of Slack's message formatting. */
function entityHtml(inner: string, context: BlockKitContext): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = context.userName(id) ?? label ?? id;
    return `<span class="bk-mention" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = context.channelName(id) ?? label ?? id;
    return `<span class="bk-mention">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith('!date^')) return dateHtml(target.slice('!date^'.length), label ?? '', context);
  if (target.startsWith('!subteam^')) return `<span class="bk-mention">@${escapeHtml((label ?? target.slice('!subteam^'.length)).replace(/^@/, ''))}</span>`;
  if (target.startsWith('!')) return `<span class="bk-mention">@${escapeHtml(target.slice(1))}</span>`;
  if (SAFE_URL.test(target)) {
    return `<a href="${escapeHtml(target)}" target="_blank" rel="noopener">${escapeHtml(label ?? target.replace(/^mailto:/i, ''))}</a>`;
  }
  return escapeHtml(`<${inner}>`);
}

/**
 * Bold, italic, strike on text escaped with `escapeText` (quotes left as they are) that holds no
 * entities or code. A marker opens after a space, punctuation or a tag, and closes right after the
 * text, before a space or punctuation: `*Alice*'s` is bold, `snake_case_name` and `*a *` are not.
 */
function inlineStyles(escaped: string): string {
  const edge = '(^|[\\s(\\[{"\'>])';
  const after = '(?=$|[\\s.,:;!?)\\]}"\'<])';
  const style = (text: string, marker: string, tag: string) =>
    text.replace(new RegExp(`${edge}\\${marker}(?!\\s)([^${marker}\\n]+?)(?<!\\s)\\${marker}${after}`, 'g'), `$1<${tag}>$2</${tag}>`);
  return style(style(style(escaped, '*', 'b'), '_', 'i'), '~', 's');
}

/**
 * Slack mrkdwn to HTML: `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```pre``` ````, `>` quotes,
 * line breaks, and the `<…>` entities (user and channel mentions, links, `<!date^…>`, `<!here>`).
 */
export function mrkdwnHtml(text: string, context: BlockKitContext): string {
  // Placeholders (private-use characters, removed from the input first) keep entities and code out of the style pass.
  const saved: string[] = [];
  const keep = (html: string) => `\uE000${saved.push(html) - 1}\uE001`;
  let work = text.replace(/[\uE000\uE001]/g, '').replace(/```([\s\S]*?)```/g, (_whole, code: string) => keep(`<pre class="bk-pre">${escapeHtml(unescapeSlack(code.replace(/^\n/, '')))}</pre>`));
  work = work.replace(/`([^`\n]+)`/g, (_whole, code: string) => keep(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  work = work.replace(/<([^<>\n]+)>/g, (_whole, inner: string) => keep(entityHtml(unescapeSlack(inner), context)));
  // `>` quotes its line; `>>>` quotes the rest of the message. Slack stores both as `&gt;`.
  let quoteRest = false;
  const lines = work.split('\n').map((line) => {
    const rest = quoteRest ? null : /^(?:&gt;|>){3}\s?/.exec(line);
    if (rest) quoteRest = true;
    const quote = rest ?? (quoteRest ? null : /^(&gt;|>)\s?/.exec(line));
    const body = quote ? line.slice(quote[0].length) : line;
    const html = emojify(inlineStyles(escapeText(unescapeSlack(body))));
    return quote || quoteRest ? `<span class="bk-quote">${html}</span>` : html;
  });
  // A saved piece can hold another (inline code in a link's label): expand until none is left.
  let html = lines.join('<br>');
  while (/\uE000\d+\uE001/.test(html)) html = html.replace(/\uE000(\d+)\uE001/g, (_whole, index: string) => saved[Number(index)] ?? '');
  return html;
}

/** A text object: mrkdwn or plain_text. */
export function textObjectHtml(value: unknown, context: BlockKitContext): string {
  const text = asObject(value);
  if (!text) return '';
  // `emoji: false` plain text keeps `:shortcodes:` as typed, like Slack.
  return text.type === 'mrkdwn' ? mrkdwnHtml(asString(text.text), context) : plainTextHtml(asString(text.text), text.emoji !== false);
}

// ---- elements ------------------------------------------------------------------------------------

function attrs(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
}

function interactiveAttrs(element: Json, blockId: string | undefined, kind: string): Record<string, string | undefined> {
  return {
    'data-kind': kind,
    'data-action-id': asString(element.action_id),
    'data-block-id': blockId,
  };
}

function optionHtml(option: Json, selected: string | undefined): string {
  const value = asString(option.value);
  const label = asString(asObject(option.text)?.text);
  return `<option${attrs({ value })}${value === selected ? ' selected' : ''}>${escapeHtml(label)}</option>`;
}

const HTML_UNESCAPES: Record<string, string> = Object.fromEntries(Object.entries(HTML_ESCAPES).map(([ch, entity]) => [entity, ch]));

/** What a text object reads as, for `window.confirm`: tags dropped, line breaks kept, entities decoded once. */
function textObjectPlain(value: unknown, context: BlockKitContext): string {
  const text = asObject(value);
  if (!text) return '';
  if (text.type !== 'mrkdwn') return asString(text.text);
  return mrkdwnHtml(asString(text.text), context)
    .replace(/<br>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => HTML_UNESCAPES[entity] ?? entity);
}

function confirmAttr(element: Json, context: BlockKitContext): Record<string, string | undefined> {
  const confirm = asObject(element.confirm);
  if (!confirm) return {};
  return { 'data-confirm': `${textObjectPlain(confirm.title, context)}\n\n${textObjectPlain(confirm.text, context)}` };
}

/** An interactive or display element (actions, section accessory, context). */
export function elementHtml(element: Json, blockId: string | undefined, context: BlockKitContext): string {
  const type = asString(element.type);
  switch (type) {
    case 'button': {
      // Slack knows two styles; anything else is the default look (and never reaches the class attribute).
      const style = element.style === 'primary' || element.style === 'danger' ? element.style : undefined;
      const url = asString(element.url);
      const classes = `bk-button${style ? ` bk-${style}` : ''}`;
      const label = plainTextHtml(asString(asObject(element.text)?.text));
      const data = { ...interactiveAttrs(element, blockId, 'button'), 'data-value': asString(element.value) || undefined, ...confirmAttr(element, context) };
      if (url && SAFE_URL.test(url)) return `<a class="${classes}" href="${escapeHtml(url)}" target="_blank" rel="noopener"${attrs(data)}>${label}</a>`;
      return `<button type="button" class="${classes}"${attrs(data)}>${label}</button>`;
    }
    case 'users_select': {
      const initial = context.users.find((user) => user.id === asString(element.initial_user))?.id;
      const placeholder = asString(asObject(element.placeholder)?.text) || 'Select a person';
      const options = context.users.map((user) => `<option${attrs({ value: user.id })}${user.id === initial ? ' selected' : ''}>${escapeHtml(user.name)}</option>`);
      return `<select class="bk-select"${attrs({ ...interactiveAttrs(element, blockId, 'users_select'), 'aria-label': placeholder })}><option value=""${initial ? '' : ' selected'} disabled>${escapeHtml(placeholder)}</option>${options.join('')}</select>`;
    }
    case 'static_select': {
      const groups = asArray(element.option_groups);
      const offered = (groups.length > 0 ? groups.flatMap((group) => asArray(group.options)) : asArray(element.options)).map((o) => asString(o.value));
      const wanted = asString(asObject(element.initial_option)?.value);
      // An initial option that is not offered selects nothing, so the placeholder shows, not the first option.
      const initial = wanted !== '' && offered.includes(wanted) ? wanted : undefined;
      const placeholder = asString(asObject(element.placeholder)?.text) || 'Select an option';
      const body =
        groups.length > 0
          ? groups.map((group) => `<optgroup label="${escapeHtml(asString(asObject(group.label)?.text))}">${asArray(group.options).map((o) => optionHtml(o, initial)).join('')}</optgroup>`).join('')
          : asArray(element.options).map((o) => optionHtml(o, initial)).join('');
      return `<select class="bk-select"${attrs({ ...interactiveAttrs(element, blockId, 'static_select'), 'aria-label': placeholder })}><option value=""${initial ? '' : ' selected'} disabled>${escapeHtml(placeholder)}</option>${body}</select>`;
    }
    case 'overflow': {
      const options = asArray(element.options).map((o) => optionHtml(o, undefined));
      return `<select class="bk-select bk-overflow"${attrs({ ...interactiveAttrs(element, blockId, 'overflow'), 'aria-label': 'More actions' })}><option value="" selected disabled>⋯</option>${options.join('')}</select>`;
    }
    case 'image':
      return `<img class="bk-image-small"${attrs({ src: asString(element.image_url), alt: asString(element.alt_text) })}>`;
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textObjectHtml(element, context)}</span>`;
    default:
      return `<span class="bk-unknown">[${escapeHtml(type || 'element')}]</span>`;
  }
}

// ---- blocks --------------------------------------------------------------------------------------

export function blockHtml(block: Json, context: BlockKitContext): string {
  const type = asString(block.type);
  const blockId = asString(block.block_id) || undefined;
  const open = (cls: string) => `<div class="bk-block ${cls}"${attrs({ 'data-block-id': blockId })}>`;
  switch (type) {
    case 'header':
      return `${open('bk-header')}${plainTextHtml(asString(asObject(block.text)?.text), asObject(block.text)?.emoji !== false)}</div>`;
    case 'section': {
      const text = block.text === undefined ? '' : `<div class="bk-text">${textObjectHtml(block.text, context)}</div>`;
      const fields = asArray(block.fields);
      const fieldsHtml = fields.length === 0 ? '' : `<div class="bk-fields">${fields.map((f) => `<div class="bk-field">${textObjectHtml(f, context)}</div>`).join('')}</div>`;
      const accessory = asObject(block.accessory);
      const accessoryHtml = accessory ? `<div class="bk-accessory">${elementHtml(accessory, blockId, context)}</div>` : '';
      return `${open('bk-section')}<div class="bk-section-body">${text}${fieldsHtml}</div>${accessoryHtml}</div>`;
    }
    case 'context':
      return `${open('bk-context')}${asArray(block.elements).map((e) => elementHtml(e, blockId, context)).join('')}</div>`;
    case 'divider':
      return `${open('bk-divider')}<hr></div>`;
    case 'actions':
      return `${open('bk-actions')}${asArray(block.elements).map((e) => elementHtml(e, blockId, context)).join('')}</div>`;
    case 'image': {
      const title = block.title === undefined ? '' : `<div class="bk-image-title">${textObjectHtml(block.title, context)}</div>`;
      return `${open('bk-image')}${title}<img${attrs({ src: asString(block.image_url), alt: asString(block.alt_text) })}></div>`;
    }
    default:
      return `${open('bk-unknown')}[${escapeHtml(type || 'block')} block]</div>`;
  }
}

/** The blocks of a message or view; a message without blocks shows its `text` as mrkdwn. */
export function blocksHtml(blocks: readonly Json[] | undefined, fallbackText: string, context: BlockKitContext): string {
  if (blocks === undefined || blocks.length === 0) return `<div class="bk-block bk-section"><div class="bk-text">${mrkdwnHtml(fallbackText, context)}</div></div>`;
  return blocks.map((block) => blockHtml(block, context)).join('');
}
