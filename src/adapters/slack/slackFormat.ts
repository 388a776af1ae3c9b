/** Small mrkdwn helpers shared by every renderer. Pure. */

/** Escapes the three characters Slack's mrkdwn treats as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Unicode bidirectional controls (embeddings, overrides, isolates: U+202A–U+202E, U+2066–U+2069).
 * In lead text they could make "gnp.exe" read as "exe.png"; they are removed wherever lead text is
 * shown in Slack.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** Zero-width space: see `neutralizeMarkup`. */
const ZWSP = '\u200B';

/**
 * Text whose `*`, `_`, `~` and `` ` `` cannot start or end mrkdwn styling: Slack's mrkdwn has no
 * escape character. Each of `*`, `_`, `~` is put between zero-width spaces: a style marker must be
 * preceded by the start, a space or punctuation and followed by a visible character, so whether a
 * zero-width space counts as a space or as a letter, one of the two conditions fails. A backtick
 * (inline code, whose rules are looser) becomes the look-alike ˋ (U+02CB), and a `>` that starts a
 * line (a quote) gets a zero-width space before it.
 */
function neutralizeMarkup(text: string): string {
  return text.replace(/[*_~]/g, `${ZWSP}$&${ZWSP}`).replace(/`/g, '\u02CB').replace(/^>/gm, `${ZWSP}>`);
}

/**
 * Lead-supplied text (a name, a company, a domain) for a mrkdwn field, where a plain_text object is
 * not possible: shown as typed, never as markup or a mention, bidi controls removed, at most `max`
 * characters. Where Block Kit allows it, put lead text in a plain_text object instead (`plainLeadText`).
 */
export function escapeLeadText(text: string, max: number): string {
  return escapeClip(neutralizeMarkup(stripBidiControls(text)), max);
}

/** Lead-supplied text for a plain_text object (literal by nature): bidi controls removed, at most `max` characters. */
export function plainLeadText(text: string, max: number): string {
  return clipPlain(stripBidiControls(text), max);
}

/** `<@U0ALICE>`: a mention that Slack renders as the user's name. */
export function mention(userId: string): string {
  return `<@${userId}>`;
}

/**
 * A time in the reader's own time zone via Slack date formatting, with a UTC fallback for clients
 * that cannot render it: `<!date^1732460000^{date_short_pretty} {time}|2026-11-24 14:00 UTC>`.
 */
export function slackDate(epochMs: number, format = '{date_short_pretty} {time}'): string {
  const seconds = Math.floor(epochMs / 1000);
  const fallback = new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
  return `<!date^${seconds}^${format}|${fallback} UTC>`;
}

const ELLIPSIS = '…';

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair (an emoji). */
function cutAt(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * Plain text of at most `max` characters, ending in `…` when cut: for plain_text objects (headers,
 * button labels, placeholders), whose limits Slack enforces by rejecting the whole message.
 */
export function clipPlain(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${cutAt(text, max - ELLIPSIS.length).trimEnd()}${ELLIPSIS}`;
}

/**
 * `escapeMrkdwn(text)` cut to at most `max` characters of output, ending in `…` when cut. Cuts
 * between characters of the source, so an entity such as `&amp;` is never split in half.
 */
export function escapeClip(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of text) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}

/** Longest URL made into a link; a longer one is almost certainly garbage and would eat the block's budget. */
const MAX_LINK_URL = 1000;

/**
 * `<https://…|label>`, or null when `url` is not an http(s) URL (a `javascript:` or `slack://` URL is
 * never linked). `&`, `<`, `>` are escaped as Slack asks and `|` is percent-encoded so that it cannot
 * end the URL early; the label is escaped.
 */
export function slackLink(url: string, label: string): string | null {
  const trimmed = url.trim();
  if (!/^https?:\/\/[^\s]+$/i.test(trimmed)) return null;
  const safe = escapeMrkdwn(trimmed.replace(/\|/g, '%7C'));
  if (safe.length > MAX_LINK_URL) return null;
  return `<${safe}|${escapeMrkdwn(label)}>`;
}

/** Made once: creating an Intl.NumberFormat costs far more than using one (it was a tenth of a card's rendering). */
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** `1200` → `1,200`. */
export function formatCount(n: number): string {
  return COUNT_FORMAT.format(n);
}

/** `14:05 UTC`: a time for plain-text fallbacks (notifications), where `<!date>` is not rendered. */
export function utcTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)} UTC`;
}
