/** Small mrkdwn helpers shared by every renderer. Pure. */

/** Escapes the three characters Slack's mrkdwn treats as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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
