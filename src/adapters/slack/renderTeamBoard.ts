/**
 * `/leads team` (managers): the queue, the escalations, and each rep's load and availability
 * (`Alice — 3/10 open · 1 offer pending · away until …`). The same blocks end the App Home of a
 * manager. Pure: `now` is a parameter.
 */
import { formatDuration } from '../../domain/duration.ts';
import type { EscalatedLeadItem, QueuedLeadItem, RepLoad, TeamBoardModel, TeamLoad } from '../../app/readModels.ts';
import { contextBlock, dividerBlock, headerBlock, type Block, type SlackMessage } from './renderBlocks.ts';
import { countWords, leadLine, listBlocks, MESSAGE_MAX_BLOCKS, moreLine } from './renderMyLeads.ts';
import { escapeClip, mention, slackDate } from './slackFormat.ts';

export type { EscalatedLeadItem, QueuedLeadItem, RepLoad, TeamBoardModel, TeamLoad };

/** Sections one list (queue, escalations, a team) may take before "… and N more". */
const MAX_LIST_SECTIONS = 2;
const MAX_TEAM_SECTIONS = 3;

/** Blocks the board needs at least: two lists, a divider, a team and a "more teams" line. */
export const TEAM_BOARD_MIN_BLOCKS = 2 * MAX_LIST_SECTIONS + 3;

const ESCALATION_REASONS: Record<NonNullable<EscalatedLeadItem['reason']>, string> = {
  max_offers: 'nobody claimed it',
  queued: 'nobody available',
};

/** The rep's name (escaped, bold) when the config gives one, else a mention. */
export function repName(rep: { repId: string; name: string | null }): string {
  return rep.name ? `*${escapeClip(rep.name, 60)}*` : mention(rep.repId);
}

function teamWords(teamId: string | null): string[] {
  return teamId === null ? [] : [`team ${escapeClip(teamId, 60)}`];
}

/** `• *L-5* · Jane Doe, Acme · team senior · waiting 2h 5m (since …)` */
export function queuedLine(item: QueuedLeadItem, now: number): string {
  const parts = [leadLine(item), ...teamWords(item.teamId), `waiting ${formatDuration(now - item.since)} (since ${slackDate(item.since)})`];
  return `• ${parts.join(' · ')}`;
}

/** `• *L-7* · Jane Doe, Acme · team senior · nobody claimed it · since … · pinged 2 times` */
export function escalatedLine(item: EscalatedLeadItem, now: number): string {
  const parts = [
    leadLine(item),
    ...teamWords(item.teamId),
    ...(item.reason === null ? [] : [ESCALATION_REASONS[item.reason]]),
    `for ${formatDuration(now - item.since)} (since ${slackDate(item.since)})`,
    ...(item.pings > 1 ? [`pinged ${countWords(item.pings, 'time')}`] : []),
  ];
  return `• ${parts.join(' · ')}`;
}

/**
 * One rep: an icon for their state (🟢 available, 🏖️ away, 🌙 outside hours, 🔴 at capacity or daily
 * cap), then `3/10 open · 1 offer pending · 2 offers today` and what keeps them from new leads.
 */
export function repLoadLine(rep: RepLoad): string {
  const atCapacity = rep.capacity !== null && rep.openLeads >= rep.capacity;
  const capReached = rep.dailyCap !== null && rep.offersToday >= rep.dailyCap;
  const icon = rep.away ? '🏖️' : rep.outsideHours ? '🌙' : atCapacity || capReached ? '🔴' : '🟢';
  const parts = [rep.capacity === null ? `${rep.openLeads} open` : `${rep.openLeads}/${rep.capacity} open`];
  if (rep.pendingOffers > 0) parts.push(`${countWords(rep.pendingOffers, 'offer')} pending`);
  if (rep.dailyCap !== null) parts.push(`${rep.offersToday}/${rep.dailyCap} offers today`);
  else if (rep.offersToday > 0) parts.push(`${countWords(rep.offersToday, 'offer')} today`);
  if (rep.away) parts.push(rep.away.until === null ? 'away until they turn it off' : `away until ${slackDate(rep.away.until)}`);
  if (rep.outsideHours) parts.push('outside hours');
  if (atCapacity) parts.push('at capacity');
  if (capReached) parts.push('daily cap reached');
  return `${icon} ${repName(rep)} — ${parts.join(' · ')}`;
}

function teamTitle(team: TeamLoad): string {
  if (team.teamId === null) return '*Reps in no team*';
  return `*Team ${escapeClip(team.teamId, 60)}*${team.managerId ? ` · manager ${mention(team.managerId)}` : ''}`;
}

/**
 * The board's blocks, at most `maxBlocks` (at least TEAM_BOARD_MIN_BLOCKS): the queue and the
 * escalations (two sections each at most), then one or more sections per team while room lasts,
 * then "… and N more teams".
 */
export function teamBoardBlocks(model: TeamBoardModel, now: number, maxBlocks: number): Block[] {
  const blocks: Block[] = [
    ...listBlocks(`*Queue* (${model.queuedCount})`, model.queued.map((item) => queuedLine(item, now)), {
      maxBlocks: MAX_LIST_SECTIONS,
      empty: '_Nothing queued: every lead has found someone._',
      total: model.queuedCount,
    }),
    ...listBlocks(`*Escalations* (${model.escalatedCount})`, model.escalated.map((item) => escalatedLine(item, now)), {
      maxBlocks: MAX_LIST_SECTIONS,
      empty: '_No escalations._',
      total: model.escalatedCount,
    }),
    dividerBlock(),
  ];
  if (model.teams.length === 0) {
    blocks.push(contextBlock(['_No reps to show._']));
    return blocks;
  }
  let room = Math.max(maxBlocks, TEAM_BOARD_MIN_BLOCKS) - blocks.length;
  for (const [index, team] of model.teams.entries()) {
    const later = model.teams.length - index - 1;
    const available = room - (later > 0 ? 1 : 0);
    if (available < 1) {
      blocks.push(contextBlock([moreLine(model.teams.length - index, 'teams')]));
      break;
    }
    const section = listBlocks(teamTitle(team), team.reps.map(repLoadLine), {
      maxBlocks: Math.min(MAX_TEAM_SECTIONS, available),
      empty: '_No reps._',
      noun: 'reps',
    });
    blocks.push(...section);
    room -= section.length;
  }
  return blocks;
}

/** The reply to `/leads team`. */
export function renderTeamBoard(model: TeamBoardModel, now: number): SlackMessage {
  const reps = model.teams.flatMap((team) => team.reps);
  const away = new Set(reps.filter((rep) => rep.away).map((rep) => rep.repId)).size;
  return {
    text: `Team board: ${model.queuedCount} queued · ${model.escalatedCount} escalated · ${away} away`,
    blocks: [headerBlock('Team board'), ...teamBoardBlocks(model, now, MESSAGE_MAX_BLOCKS - 1)],
  };
}
