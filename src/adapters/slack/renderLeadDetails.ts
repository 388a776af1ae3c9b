import type { HistoryEntry, StoredLead } from '../sqlite/sqliteLeadStore.ts';
import { leadRef } from '../../domain/lead.ts';
import { escapeMrkdwn, mention, slackDate } from './slackFormat.ts';

const STATE_LABELS: Record<StoredLead['state'], string> = {
  received: 'received, waiting to be routed',
  offered: 'offered',
  claimed: 'claimed',
  done: 'done',
  queued: 'queued: nobody eligible yet',
  escalated: 'escalated to a manager',
  in_sequence: 'in a sequence',
};

/** One history line: "14:02 · received via form". */
function historyLine(entry: HistoryEntry): string {
  const detail = entry.detail ?? {};
  const who = entry.actor.startsWith('U') || entry.actor.startsWith('W') ? ` by ${mention(entry.actor)}` : '';
  const extra = Object.entries(detail)
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${escapeMrkdwn(String(value))}`)
    .join(', ');
  return `${slackDate(entry.at, '{date_short} {time}')} · *${entry.event.replace(/_/g, ' ')}*${who}${extra ? ` (${extra})` : ''}`;
}

/** The reply to `/leads L-17`: who the lead is, where it stands, and its history. Pure. */
export function renderLeadDetails(stored: StoredLead, history: HistoryEntry[]) {
  const { lead } = stored;
  const ref = leadRef(stored.id);
  const who = [lead.name, lead.title].filter(Boolean).map((s) => escapeMrkdwn(String(s))).join(', ');
  const company = [lead.company.name ?? lead.company.domain, lead.company.employees !== undefined ? `${lead.company.employees} employees` : undefined, lead.company.country]
    .filter(Boolean)
    .map((s) => escapeMrkdwn(String(s)))
    .join(' · ');
  const facts = [
    `*State:* ${STATE_LABELS[stored.state]}${stored.owner_id ? ` — owner ${mention(stored.owner_id)}` : ''}`,
    `*Source:* ${lead.source}${lead.score !== undefined ? ` · *Score:* ${lead.score}` : ''}`,
    `*Received:* ${slackDate(stored.received_at)}`,
  ];
  if (lead.crm_url) facts.push(`<${lead.crm_url}|Open in CRM>`);
  const text = `${ref}: ${who || lead.email || lead.linkedin_url || 'lead'} — ${STATE_LABELS[stored.state]}`;
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${ref} · ${who || company || 'Lead'}`.slice(0, 150) } },
      ...(company ? [{ type: 'section', text: { type: 'mrkdwn', text: company } }] : []),
      { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
      { type: 'divider' },
      { type: 'section', text: { type: 'mrkdwn', text: `*History*\n${history.slice(-20).map(historyLine).join('\n') || '_nothing yet_'}`.slice(0, 3000) } },
    ],
  };
}
