/**
 * `/leads stats`: per rep, over the last 7 and 30 days, offers made and what became of them
 * (claimed, passed, expired) with the median time to claim; then the totals. The App Home shows the
 * reader's own lines. Pure: `now` is a parameter.
 */
import { formatDuration } from '../../domain/duration.ts';
import type { RepStats, StatsModel, WindowStats } from '../../app/readModels.ts';
import { contextBlock, dividerBlock, headerBlock, sectionBlock, type Block, type SlackMessage } from './renderBlocks.ts';
import { listBlocks, MESSAGE_MAX_BLOCKS } from './renderMyLeads.ts';
import { repName } from './renderTeamBoard.ts';
import { slackDate } from './slackFormat.ts';

export type { RepStats, StatsModel, WindowStats };

/** `*7 days:* 12 offered · 9 claimed · 2 passed · 1 expired · median time to claim 1m 12s`, or `no offers`. */
export function windowLine(label: string, stats: WindowStats): string {
  if (stats.offered === 0) return `*${label}:* no offers`;
  const parts = [`${stats.offered} offered`, `${stats.claimed} claimed`, `${stats.passed} passed`, `${stats.expired} expired`];
  if (stats.medianClaimMs !== null) parts.push(`median time to claim ${formatDuration(stats.medianClaimMs)}`);
  return `*${label}:* ${parts.join(' · ')}`;
}

/** The two window lines of one rep (or of the totals). */
export function statsLines(stats: Pick<RepStats, 'last7d' | 'last30d'>): string {
  return `${windowLine('7 days', stats.last7d)}\n${windowLine('30 days', stats.last30d)}`;
}

/** Reps by name (their id when they have none), case-insensitively. */
export function sortByName(reps: readonly RepStats[]): RepStats[] {
  const key = (rep: RepStats) => rep.name ?? rep.repId;
  return [...reps].sort((a, b) => key(a).localeCompare(key(b), 'en', { sensitivity: 'base' }) || a.repId.localeCompare(b.repId));
}

/** Every rep's entry (name, 7-day and 30-day lines), by name, packed into at most `maxBlocks` sections. */
export function repStatsBlocks(model: StatsModel, maxBlocks: number): Block[] {
  const entries = sortByName(model.reps).map((rep) => `${repName(rep)}\n${statsLines(rep)}`);
  return listBlocks('', entries, { maxBlocks, empty: '_No reps._', noun: 'reps', separator: '\n\n' });
}

/** The totals over every listed rep. */
export function statsTotalsBlock(model: StatsModel): Block {
  return sectionBlock(`*All reps*\n${statsLines(model.totals)}`);
}

/** The reply to `/leads stats`: at most 50 blocks however many reps there are. */
export function renderStats(model: StatsModel, now: number): SlackMessage {
  const fixed = [headerBlock('Lead stats'), contextBlock([`Offers made in the last 7 and 30 days, as of ${slackDate(now)}; time to claim runs from offer to claim.`])];
  const totals = [dividerBlock(), statsTotalsBlock(model)];
  const { last7d, last30d } = model.totals;
  return {
    text: `Lead stats: ${last7d.claimed} of ${last7d.offered} offers claimed in 7 days, ${last30d.claimed} of ${last30d.offered} in 30 days`,
    blocks: [...fixed, ...repStatsBlocks(model, MESSAGE_MAX_BLOCKS - fixed.length - totals.length), ...totals],
  };
}
