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
