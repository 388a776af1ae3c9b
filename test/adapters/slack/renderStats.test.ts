import { describe, expect, it } from 'vitest';
import { renderStats, windowLine, type RepStats, type StatsModel, type WindowStats } from '../../../src/adapters/slack/renderStats.ts';
import { blockProblems } from '../../../src/sandbox/slackBlocks.ts';

const NOW = Date.UTC(2026, 2, 4, 12, 0, 0);

type Json = Record<string, unknown>;

function window(overrides: Partial<WindowStats> = {}): WindowStats {
  return { offered: 12, claimed: 9, passed: 2, expired: 1, medianClaimMs: 72_000, ...overrides };
}

const none: WindowStats = { offered: 0, claimed: 0, passed: 0, expired: 0, medianClaimMs: null };

function repStats(repId: string, name: string | null, overrides: Partial<RepStats> = {}): RepStats {
  return { repId, name, last7d: window(), last30d: window({ offered: 40, claimed: 30, passed: 6, expired: 4, medianClaimMs: 150_000 }), ...overrides };
}

function model(reps: RepStats[]): StatsModel {
  return {
    reps,
    totals: { last7d: window({ offered: 24, claimed: 18, passed: 4, expired: 2, medianClaimMs: 65_000 }), last30d: window({ offered: 80, claimed: 60, passed: 12, expired: 8 }) },
  };
}

const sectionTexts = (blocks: readonly unknown[]) =>
  (blocks as Json[]).filter((b) => b.type === 'section').map((b) => (b.text as Json).text as string);

describe('windowLine', () => {
  it('gives offered, claimed, passed, expired and the median time to claim', () => {
    expect(windowLine('7 days', window())).toBe('*7 days:* 12 offered · 9 claimed · 2 passed · 1 expired · median time to claim 1m 12s');
  });

  it('leaves out the median when nothing was claimed, and says "no offers" when none were made', () => {
    expect(windowLine('7 days', window({ claimed: 0, medianClaimMs: null }))).toBe('*7 days:* 12 offered · 0 claimed · 2 passed · 1 expired');
    expect(windowLine('30 days', none)).toBe('*30 days:* no offers');
  });
});

describe('renderStats', () => {
  it('lists each rep by name with their 7-day and 30-day lines, then the totals', () => {
    const message = renderStats(model([repStats('U0CAROL', 'carol'), repStats('U0ALICE', 'Alice'), repStats('U0BOB', 'Bob', { last7d: none })]), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Lead stats' } });
    const [reps, totals] = sectionTexts(message.blocks);
    expect(reps?.split('\n\n').map((entry) => entry.split('\n')[0])).toEqual(['*Alice*', '*Bob*', '*carol*']);
    expect(reps).toContain('*Alice*\n*7 days:* 12 offered · 9 claimed · 2 passed · 1 expired · median time to claim 1m 12s\n*30 days:* 40 offered · 30 claimed · 6 passed · 4 expired · median time to claim 2m 30s');
    expect(reps).toContain('*Bob*\n*7 days:* no offers\n*30 days:* 40 offered');
    expect(totals).toBe(
      '*All reps*\n*7 days:* 24 offered · 18 claimed · 4 passed · 2 expired · median time to claim 1m 5s\n*30 days:* 80 offered · 60 claimed · 12 passed · 8 expired · median time to claim 1m 12s',
    );
    expect(message.text).toBe('Lead stats: 18 of 24 offers claimed in 7 days, 60 of 80 in 30 days');
  });

  it('sorts reps without a name by their id, shown as a mention', () => {
    const message = renderStats(model([repStats('U0ZED', 'Zed'), repStats('U0ABE', null)]), NOW);
    const [reps] = sectionTexts(message.blocks);
    expect(reps?.split('\n\n').map((entry) => entry.split('\n')[0])).toEqual(['<@U0ABE>', '*Zed*']);
  });

  it('stays within 50 blocks with hundreds of reps, ending the list with "… and N more reps"', () => {
    const reps = Array.from({ length: 1000 }, (_, i) => repStats(`U0R${String(i).padStart(4, '0')}`, `Rep ${String(i).padStart(4, '0')}`));
    const message = renderStats(model(reps), NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const texts = sectionTexts(message.blocks);
    const shown = texts.join('\n').match(/^\*Rep \d+\*$/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(100);
    expect(shown).toBeLessThan(1000);
    expect(texts.at(-2)).toContain(`_… and ${1000 - shown} more reps_`);
    expect(texts.at(-1)?.startsWith('*All reps*')).toBe(true);
  });

  it('says so when there are no reps', () => {
    const message = renderStats({ reps: [], totals: { last7d: none, last30d: none } }, NOW);
    expect(blockProblems(message.blocks)).toEqual([]);
    expect(sectionTexts(message.blocks)[0]).toBe('_No reps._');
  });
});
