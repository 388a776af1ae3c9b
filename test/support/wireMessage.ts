import { expect } from 'vitest';
import { blockProblems } from '../../src/sandbox/slackBlocks.ts';

export type WireBlock = Record<string, unknown>;

/** A rendered message as Slack receives it (JSON), asserted valid by the stand-in's Block Kit validator. */
export function wire(message: { text: string; blocks: unknown[] }): { text: string; blocks: WireBlock[] } {
  const sent = JSON.parse(JSON.stringify(message)) as { text: string; blocks: WireBlock[] };
  expect(blockProblems(sent.blocks)).toEqual([]);
  expect(sent.text.length).toBeGreaterThan(0);
  expect(sent.text.length).toBeLessThanOrEqual(40_000);
  return sent;
}
