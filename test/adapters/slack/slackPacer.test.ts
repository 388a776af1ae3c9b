import { describe, expect, it } from 'vitest';
import { createSlackPacer } from '../../../src/adapters/slack/slackPacer.ts';

const RULES = { 'chat.postMessage': { rule: { ratePerSecond: 1, burst: 3 }, perChannel: true }, 'chat.update': { rule: { ratePerSecond: 0.5, burst: 1 }, perChannel: false } };

describe('slack pacer', () => {
  it('lets a burst go, then says how long to wait for the next token (no ticket: nothing booked)', () => {
    const pacer = createSlackPacer(RULES);
    expect([0, 0, 0].map(() => pacer.reserve('chat.postMessage', 'D1', 0))).toEqual([0, 0, 0]);
    expect(pacer.reserve('chat.postMessage', 'D1', 0)).toBe(1000);
    expect(pacer.reserve('chat.postMessage', 'D1', 0)).toBe(1000);
    expect(pacer.reserve('chat.postMessage', 'D2', 0)).toBe(0);
    expect(pacer.reserve('chat.postMessage', 'D1', 1000)).toBe(0);
    expect(pacer.reserve('views.open', 'D1', 0)).toBe(0);
  });

  it('books each waiting ticket a slot of its own, in order, and lets it go when it comes back at its slot', () => {
    const pacer = createSlackPacer(RULES);
    const waits = [1, 2, 3, 4, 5].map((ticket) => pacer.reserve('chat.postMessage', 'D1', 0, ticket));
    expect(waits).toEqual([0, 0, 0, 1000, 2000]);
    // Early: still waiting, and no second slot is booked.
    expect(pacer.reserve('chat.postMessage', 'D1', 400, 4)).toBe(600);
    expect(pacer.reserve('chat.postMessage', 'D1', 1000, 4)).toBe(0);
    // A newcomer queues behind the booked slots.
    expect(pacer.reserve('chat.postMessage', 'D1', 1000, 6)).toBe(2000);
    expect(pacer.reserve('chat.postMessage', 'D1', 2000, 5)).toBe(0);
    expect(pacer.reserve('chat.postMessage', 'D1', 3000, 6)).toBe(0);
    // Never more than the rate: five calls over three seconds after the burst of three.
    expect(pacer.reserve('chat.postMessage', 'D1', 3000, 7)).toBe(1000);
  });

  it('keeps workspace-wide pacing (chat.update) in one queue across channels', () => {
    const pacer = createSlackPacer(RULES);
    expect(pacer.reserve('chat.update', 'D1', 0, 1)).toBe(0);
    expect(pacer.reserve('chat.update', 'D2', 0, 2)).toBe(2000);
    expect(pacer.reserve('chat.update', 'D3', 0, 3)).toBe(4000);
    expect(pacer.reserve('chat.update', 'D2', 2000, 2)).toBe(0);
    expect(pacer.reserve('chat.update', 'D3', 3999, 3)).toBe(1);
  });

  it('forgets slots nobody came back for, after a minute', () => {
    const pacer = createSlackPacer(RULES);
    for (let ticket = 1; ticket <= 5; ticket += 1) pacer.reserve('chat.postMessage', 'D1', 0, ticket);
    expect(pacer.bookedSlots()).toBe(2);
    expect(pacer.reserve('chat.postMessage', 'D1', 1000, 4)).toBe(0);
    expect(pacer.bookedSlots()).toBe(1);
    // Ticket 5 never comes back: a minute after its slot, the next booking sweeps it away.
    for (let ticket = 10; ticket <= 13; ticket += 1) pacer.reserve('chat.postMessage', 'D1', 120_000, ticket);
    expect(pacer.bookedSlots()).toBe(1); // only ticket 13's own slot
  });

  it('never lets booked callers that come back late (a pause, a hold, a clock jump) go together beyond the burst', () => {
    const pacer = createSlackPacer(RULES);
    const tickets = Array.from({ length: 10 }, (_, i) => i + 1);
    for (const ticket of tickets) pacer.reserve('chat.postMessage', 'D1', 0, ticket);
    // All come back five minutes late at once: only the burst goes now, the rest get new slots a second apart.
    const waiting = new Set(tickets.slice(3));
    const goNow = (at: number) => [...waiting].filter((ticket) => pacer.reserve('chat.postMessage', 'D1', at, ticket) === 0 && waiting.delete(ticket)).length;
    expect(goNow(300_000)).toBe(3);
    for (let at = 301_000; at <= 304_000; at += 1000) expect(goNow(at)).toBe(1);
    expect(waiting.size).toBe(0);
  });

  it('paces a user id and the DM Slack answered with as one channel', () => {
    const pacer = createSlackPacer(RULES);
    expect([1, 2].map((ticket) => pacer.reserve('chat.postMessage', 'U0ALICE', 0, ticket))).toEqual([0, 0]);
    pacer.learnChannel('U0ALICE', 'D0ALICE');
    expect(pacer.reserve('chat.postMessage', 'D0ALICE', 0, 3)).toBe(0);
    expect(pacer.reserve('chat.postMessage', 'D0ALICE', 0, 4)).toBe(1000);
    expect(pacer.reserve('chat.postMessage', 'U0ALICE', 0, 5)).toBe(2000);
  });
});
