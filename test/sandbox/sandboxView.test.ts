import { describe, expect, it } from 'vitest';
import { StandInWorkspace } from '../../src/sandbox/slackWorkspace.ts';
import { sandboxSnapshot, type SandboxDirectory } from '../../src/sandbox/sandboxView.ts';

const NOW = Date.parse('2026-11-24T14:00:00Z');

function workspace() {
  const ws = new StandInWorkspace({ teamId: 'T1', teamDomain: 't', appId: 'A1', botUserId: 'U0BOT', botId: 'B0BOT', botName: 'leadrelay', clock: { now: () => NOW }, strictChannels: false });
  ws.addUser({ id: 'U0ALICE', realName: 'Alice Example', tz: 'Europe/Berlin' });
  ws.addUser({ id: 'U0BOB', realName: 'Bob Example', tz: 'America/New_York' });
  ws.addChannel({ id: 'C0ESC', name: 'lead-escalations' });
  return ws;
}

const directory: SandboxDirectory = {
  people: [
    { id: 'U0ALICE', name: 'Alice Example', role: 'rep', tz: 'Europe/Berlin' },
    { id: 'U0BOB', name: 'Bob Example', role: 'rep', tz: 'America/New_York' },
  ],
  channels: [{ id: 'C0ESC', name: 'lead-escalations', purpose: 'escalations' }],
};

describe('sandboxSnapshot', () => {
  it("shows a person's DM with threads under their message, and counts only top-level messages", () => {
    const ws = workspace();
    const dm = ws.dmFor('U0ALICE');
    const card = ws.addMessage(dm, { text: 'New lead L-1', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*New lead* for <@U0ALICE>' } }] });
    ws.addMessage(dm, { text: 'Reminder: 30s left' }, { threadTs: card.ts });
    const snapshot = sandboxSnapshot(ws, directory, 'U0ALICE', 'dm', NOW);
    expect(snapshot.conversation.title).toBe('Alice Example ↔ leadrelay');
    expect(snapshot.conversation.html).toContain('<b>New lead</b> for <span class="bk-mention" data-user="U0ALICE">@Alice Example</span>');
    expect(snapshot.conversation.html).toMatch(/class="msg-thread"><div class="msg-thread-count">1 reply<\/div>.*Reminder: 30s left/s);
    expect(snapshot.conversation.html.match(/data-testid="message"/g)).toHaveLength(2);
    expect(snapshot.people.find((p) => p.id === 'U0ALICE')?.messages).toBe(1);
    expect(snapshot.people.find((p) => p.id === 'U0BOB')?.messages).toBe(0);
  });

  it('shows an ephemeral only to the person it is for, and hides deleted messages', () => {
    const ws = workspace();
    const channel = ws.channels.get('C0ESC')!;
    ws.addMessage(channel, { text: 'L-3 escalated' });
    ws.addMessage(channel, { text: 'only for Bob' }, { visibleTo: 'U0BOB', via: 'ack' });
    const gone = ws.addMessage(channel, { text: 'deleted one' });
    gone.deleted = true;
    const asAlice = sandboxSnapshot(ws, directory, 'U0ALICE', 'C0ESC', NOW);
    const asBob = sandboxSnapshot(ws, directory, 'U0BOB', 'C0ESC', NOW);
    expect(asAlice.conversation.title).toBe('#lead-escalations');
    expect(asAlice.conversation.html).toContain('L-3 escalated');
    expect(asAlice.conversation.html).not.toContain('only for Bob');
    expect(asBob.conversation.html).toContain('only for Bob');
    expect(asBob.conversation.html).toContain('Only visible to you');
    expect(asBob.conversation.html).not.toContain('deleted one');
    expect(asAlice.channels[0]?.messages).toBe(1);
    expect(asBob.channels[0]?.messages).toBe(2);
  });

  it('marks edited messages and shows times in the viewer’s time zone', () => {
    const ws = workspace();
    const message = ws.addMessage(ws.dmFor('U0BOB'), { text: 'offer' });
    ws.updateMessage(message, { text: 'claimed' });
    const html = sandboxSnapshot(ws, directory, 'U0BOB', 'dm', NOW).conversation.html;
    expect(html).toContain('claimed');
    expect(html).not.toContain('>offer<');
    expect(html).toContain('(edited)');
    expect(html).toContain('9:00:00 AM'); // 14:00 UTC in New York
  });

  it('renders the App Home once published, and falls back to the first person and their DM for unknown ids', () => {
    const ws = workspace();
    expect(sandboxSnapshot(ws, directory, 'U0ALICE', 'dm', NOW).home).toBeNull();
    const home = ws.storeView('U0ALICE', { type: 'home', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Your leads' } }] });
    ws.homeViews.set('U0ALICE', home);
    const snapshot = sandboxSnapshot(ws, directory, 'U0NOBODY', 'C0UNKNOWN', NOW);
    expect(snapshot.as).toBe('U0ALICE');
    expect(snapshot.conversation.id).toBe(ws.dmId('U0ALICE'));
    expect(snapshot.home).toContain('<div class="bk-block bk-header"');
    expect(snapshot.home).toContain('Your leads');
  });
});
