import { formatTrace, traceFromStored } from '../../domain/routing/index.ts';
import { signalWords, type SignalModel } from './renderOfferCard.ts';
import type { HistoryEntry, StoredLead } from '../../app/ports.ts';
import { leadRef } from '../../domain/lead.ts';
import { dividerBlock, headerBlock, sectionBlock, type SlackMessage } from './renderBlocks.ts';
import { leadDisplayName, leadSummary, renderLeadSection } from './renderLeadSection.ts';
import { messageSections } from './renderFullMessage.ts';
import { clipPlain, escapeClip, escapeMrkdwn, mention, slackDate } from './slackFormat.ts';

const STATE_LABELS: Record<StoredLead['state'], string> = {
  received: 'received, waiting to be routed',
  offered: 'offered',
  claimed: 'claimed',
  done: 'done',
  queued: 'queued: nobody eligible yet',
  escalated: 'escalated to a manager',
  in_sequence: 'in a sequence',
};

/** Sections the message may take: a message holds 50 blocks, and the rest of the reply takes at most 8. */
const DETAILS_MESSAGE_BLOCKS = 40;

/** History entries shown, the most recent ones. */
const MAX_HISTORY = 20;

/** A history detail's value in words; a list of `{ path, message }` (intake's warnings) as `title: empty, ignored; …`. */
function detailText(value: unknown): string {
  if (!Array.isArray(value)) return String(value);
  return value
    .map((item: unknown) => {
      const { path, message } = (item ?? {}) as { path?: unknown; message?: unknown };
      return typeof path === 'string' && typeof message === 'string' ? `${path}: ${message}` : String(item);
    })
    .join('; ');
}

/** One history line: "14:02 · received via form". */
function historyLine(entry: HistoryEntry): string {
  const detail = entry.detail ?? {};
  const who = entry.actor.startsWith('U') || entry.actor.startsWith('W') ? ` by ${mention(entry.actor)}` : '';
  const extra = Object.entries(detail)
    .map(([key, value]) => `${escapeClip(key.replace(/_/g, ' '), 40)}: ${escapeClip(detailText(value), 200)}`)
    .join(', ');
  return `${slackDate(entry.at, '{date_short} {time}')} · *${escapeClip(entry.event.replace(/_/g, ' '), 40)}*${who}${extra ? ` (${extra})` : ''}`;
}

/** The reply to `/leads L-17`: who the lead is (the same lead section as its cards), where it stands, and its history. Pure. */
export function renderLeadDetails(
  stored: StoredLead,
  history: HistoryEntry[],
  trace: unknown = null,
  signals: readonly { channel: SignalModel['channel']; kind: string; at: number }[] = [],
): SlackMessage {
  const { lead } = stored;
  const ref = leadRef(stored.id);
  // As stored (its unmatched rules compacted, src/domain/routing/storedTrace.ts), read back whole.
  const routing = traceFromStored(trace);
  const facts = [
    `*State:* ${STATE_LABELS[stored.state]}${stored.ownerId ? ` — owner ${mention(stored.ownerId)}` : ''}`,
    `*Received:* ${slackDate(stored.receivedAt)}`,
  ];
  return {
    text: `${ref}: ${leadSummary(lead, stored.domain)} — ${STATE_LABELS[stored.state]}`,
    blocks: [
      headerBlock(`${ref} · ${leadDisplayName(lead, stored.domain)}`),
      // The whole message rather than the cards' excerpt, in as many sections as it needs.
      ...renderLeadSection({ ...lead, message: undefined }, stored.domain),
      ...(lead.message?.trim() ? [sectionBlock('*Message*'), ...messageSections(lead.message, DETAILS_MESSAGE_BLOCKS)] : []),
      sectionBlock(facts.join('\n')),
      dividerBlock(),
      ...(signals.length > 0 ? [sectionBlock(`*Signals*\n${signals.map((signal) => `${signalWords(signal)} · ${slackDate(signal.at)}`).join('\n')}`)] : []),
      sectionBlock(`*History*\n${history.slice(-MAX_HISTORY).map(historyLine).join('\n') || '_nothing yet_'}`),
      ...(routing ? [sectionBlock(`*Routing trace*\n\`\`\`${escapeMrkdwn(clipPlain(formatTrace(routing), 2800))}\`\`\``)] : []),
    ],
  };
}
