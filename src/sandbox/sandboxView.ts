/**
 * What the sandbox page shows, read from the stand-in's workspace as one person sees it: the people
 * and channels in the sidebar, the open conversation (messages, their threads, ephemerals meant for
 * this person), and their App Home. Rendered to HTML here with blockKitHtml, so the browser only
 * swaps fragments in and turns clicks into interaction requests.
 */
import { blocksHtml, escapeHtml, type BlockKitContext } from './blockKitHtml.ts';
import type { StandInMessage, StandInWorkspace } from './slackWorkspace.ts';

export interface SandboxPerson {
  id: string;
  name: string;
  /** "rep · senior, enterprise", "manager". */
  role: string;
  tz: string;
}

export interface SandboxChannel {
  id: string;
  name: string;
  /** What the bot posts there: "escalations", "nurture sequence". */
  purpose: string;
}

export interface SandboxDirectory {
  people: SandboxPerson[];
  channels: SandboxChannel[];
}

export interface SandboxSnapshot {
  as: string;
  people: (SandboxPerson & { messages: number })[];
  channels: (SandboxChannel & { messages: number })[];
  /** The open conversation: the person's DM with the bot, or a channel. */
  conversation: { id: string; title: string; html: string };
  /** The person's App Home, or null until the bot published one. */
  home: string | null;
  /** The modal on top of the person's stack (views.open / views.push), or null when none is open. */
  modal: { id: string; title: string; close: string; html: string } | null;
}

function contextFor(workspace: StandInWorkspace, viewer: string, directory: SandboxDirectory, now: number): BlockKitContext {
  const user = workspace.users.get(viewer);
  return {
    userName: (id) => {
      const u = workspace.users.get(id);
      return u === undefined ? undefined : u.realName || u.name;
    },
    channelName: (id) => directory.channels.find((c) => c.id === id)?.name ?? workspace.channels.get(id)?.name,
    users: directory.people.map((p) => ({ id: p.id, name: p.name })),
    timeZone: user?.tz ?? 'UTC',
    now,
  };
}

function timeLabel(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: 'numeric', minute: '2-digit', second: '2-digit' }).format(new Date(ms));
}

/** A message can be seen by the viewer: not deleted, and an ephemeral only by the person it is for. */
function visible(message: StandInMessage, viewer: string): boolean {
  return !message.deleted && (message.visibleTo === undefined || message.visibleTo === viewer);
}

function messageHtml(workspace: StandInWorkspace, message: StandInMessage, replies: StandInMessage[], viewer: string, context: BlockKitContext): string {
  const author = workspace.users.get(message.author);
  const isBot = message.botId !== undefined;
  const authorName = escapeHtml(author?.realName || author?.name || message.author);
  const head =
    `<div class="msg-head"><span class="msg-author">${authorName}</span>${isBot ? '<span class="msg-app">APP</span>' : ''}` +
    `<span class="msg-time">${escapeHtml(timeLabel(message.postedAt, context.timeZone))}</span>` +
    `${message.editedTs !== undefined ? '<span class="msg-edited">(edited)</span>' : ''}</div>`;
  const ephemeral = message.visibleTo !== undefined ? '<div class="msg-ephemeral">Only visible to you</div>' : '';
  const thread =
    replies.length === 0
      ? ''
      : `<div class="msg-thread"><div class="msg-thread-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>${replies.map((r) => messageHtml(workspace, r, [], viewer, context)).join('')}</div>`;
  return (
    `<div class="msg${message.visibleTo !== undefined ? ' msg-is-ephemeral' : ''}" data-testid="message" data-surface="message" data-channel="${escapeHtml(message.channel)}" data-ts="${escapeHtml(message.ts)}">` +
    `${head}<div class="msg-body">${blocksHtml(message.blocks, message.text, context)}</div>${ephemeral}${thread}</div>`
  );
}

/** The conversation's top-level messages in order, each with its thread, as `viewer` sees them. */
export function conversationHtml(workspace: StandInWorkspace, channelId: string, viewer: string, context: BlockKitContext): string {
  const all = workspace.messagesIn(channelId).filter((m) => visible(m, viewer));
  const topLevel = all.filter((m) => m.kind !== 'reply');
  if (topLevel.length === 0) return '<div class="empty">No messages yet.</div>';
  return topLevel
    .map((message) => {
      const replies = all.filter((r) => r.kind === 'reply' && r.threadTs === message.ts);
      return messageHtml(workspace, message, replies, viewer, context);
    })
    .join('');
}

const countTopLevel = (workspace: StandInWorkspace, channelId: string, viewer: string) =>
  workspace.messagesIn(channelId).filter((m) => m.kind !== 'reply' && visible(m, viewer)).length;

/**
 * The page's state for `as` (a person's id) with `open` = `dm` or a channel id. Unknown ids fall back
 * to the first person and their DM, so a stale link never breaks the page.
 */
export function sandboxSnapshot(workspace: StandInWorkspace, directory: SandboxDirectory, as: string | undefined, open: string | undefined, now: number): SandboxSnapshot {
  const first = directory.people[0];
  if (first === undefined) throw new Error('the sandbox needs at least one person');
  const viewer = directory.people.find((p) => p.id === as) ?? first;
  const context = contextFor(workspace, viewer.id, directory, now);
  const channel = directory.channels.find((c) => c.id === open);
  const dm = workspace.dmFor(viewer.id);
  const conversation = channel
    ? { id: channel.id, title: `#${channel.name}`, html: conversationHtml(workspace, channel.id, viewer.id, context) }
    : { id: dm.id, title: `${viewer.name} ↔ leadrelay`, html: conversationHtml(workspace, dm.id, viewer.id, context) };
  const homeView = workspace.homeViews.get(viewer.id);
  const home = homeView === undefined ? null : blocksHtml(homeView.definition.blocks as Record<string, unknown>[], '', context);
  const top = workspace.modalStack(viewer.id).at(-1);
  const plain = (value: unknown, fallback: string) => (typeof (value as { text?: unknown } | undefined)?.text === 'string' ? String((value as { text: string }).text) : fallback);
  const modal =
    top === undefined
      ? null
      : { id: top.id, title: plain(top.definition.title, 'Modal'), close: plain(top.definition.close, 'Close'), html: blocksHtml(top.definition.blocks as Record<string, unknown>[], '', context) };
  return {
    as: viewer.id,
    people: directory.people.map((p) => ({ ...p, messages: countTopLevel(workspace, workspace.dmFor(p.id).id, p.id) })),
    channels: directory.channels.map((c) => ({ ...c, messages: countTopLevel(workspace, c.id, viewer.id) })),
    conversation,
    home,
    modal,
  };
}
