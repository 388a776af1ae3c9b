/**
 * The state of the fake Slack workspace behind the stand-in: users, conversations, the messages the
 * bot posted (updated in place like Slack does), App Home views, modals, trigger ids and response URLs.
 *
 * No I/O here: the Web API handlers, the outgoing-request builders and the test helpers all read and
 * write this model, so a test (or the sandbox UI) sees "the conversation as the user would see it".
 */

/** Where the stand-in reads time (message `ts`, request timestamps, trigger expiry). */
export interface StandInClock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface StandInUser {
  id: string;
  /** The handle (`alice`), sent as `user_name` in slash commands. */
  name: string;
  realName: string;
  displayName: string;
  email?: string;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  tz: string;
  title: string;
  isAdmin: boolean;
  isOwner: boolean;
  isBot: boolean;
  deleted: boolean;
}

/** What `addUser` / `users` accept: an id plus anything to override; the rest is derived from the id. */
export type StandInUserInput = { id: string } & Partial<Omit<StandInUser, 'id'>>;

/**
 * Builds a complete user from an id and overrides: `standInUser('U0ALICE')` is
 * `{ name: 'alice', realName: 'Alice', email: 'alice@example.com', tz: 'America/New_York', … }`.
 */
export function standInUser(input: StandInUserInput | string): StandInUser {
  const given: StandInUserInput = typeof input === 'string' ? { id: input } : input;
  const handle = given.id.replace(/^[UW]0?/, '').toLowerCase() || given.id.toLowerCase();
  const derivedReal = handle.charAt(0).toUpperCase() + handle.slice(1);
  const name = given.name ?? handle;
  const realName = given.realName ?? derivedReal;
  const isBot = given.isBot ?? false;
  const email = given.email ?? (isBot ? undefined : `${handle}@example.com`);
  return {
    id: given.id,
    name,
    realName,
    displayName: given.displayName ?? name,
    ...(email !== undefined ? { email } : {}),
    tz: given.tz ?? 'America/New_York',
    title: given.title ?? '',
    isAdmin: given.isAdmin ?? false,
    isOwner: given.isOwner ?? false,
    isBot,
    deleted: given.deleted ?? false,
  };
}

export type ConversationKind = 'im' | 'mpim' | 'channel';

export interface StandInChannel {
  id: string;
  name: string;
  kind: ConversationKind;
  /** For a DM: the other user. */
  user?: string;
  members: string[];
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface MessageContent {
  text: string;
  blocks?: Record<string, unknown>[];
  attachments?: unknown[];
  metadata?: MessageMetadata;
}

export interface MessageVersion extends MessageContent {
  /** Clock time (ms) at which this version was replaced. */
  replacedAt: number;
}

/** A message as the workspace holds it. */
export interface StandInMessage extends MessageContent {
  channel: string;
  ts: string;
  /** `reply` = in a thread (threadTs = parent ts); `ephemeral` = only `visibleTo` sees it. */
  kind: 'message' | 'reply' | 'ephemeral';
  /** User id of the author (the bot's user id for messages the bot posted). */
  author: string;
  botId?: string;
  threadTs?: string;
  replyCount: number;
  visibleTo?: string;
  /** How the message got there: a Web API call, a response_url post, or a slash command's ack body. */
  via: 'api' | 'response_url' | 'ack';
  /** `ts` of the last edit (chat.update or replace_original). */
  editedTs?: string;
  deleted: boolean;
  /** Earlier contents, oldest first: one entry per update. */
  versions: MessageVersion[];
  /** Clock time (ms) when posted. */
  postedAt: number;
}

export interface StandInView {
  id: string;
  type: 'home' | 'modal';
  userId: string;
  callbackId: string;
  privateMetadata: string;
  externalId: string;
  hash: string;
  rootViewId: string;
  previousViewId: string | null;
  /** The view object as the bot sent it (blocks with generated block ids). */
  definition: Record<string, unknown>;
  /** Field errors from a `response_action: 'errors'` ack. */
  errors?: Record<string, string>;
}

interface TriggerRecord {
  userId: string;
  issuedAt: number;
  used: boolean;
}

export interface ResponseUrlPost {
  /** The response_url this was posted to. */
  url: string;
  body: Record<string, unknown>;
  /** Clock time (ms). */
  at: number;
  /** HTTP status the stand-in answered (0: the connection was reset). */
  status: number;
  /** Answered by a fault registered with `fail('response_url', …)`: nothing was changed, and it is not counted as a use. */
  injected?: boolean;
}

export interface ResponseUrlRecord {
  id: string;
  url: string;
  userId: string;
  channel: string;
  /** For block actions on a message: the message the action came from. */
  messageTs?: string;
  /** Clock time (ms) of the interaction that issued it: Slack takes posts on it for 30 minutes. */
  issuedAt: number;
  posts: ResponseUrlPost[];
}

export interface WorkspaceOptions {
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  botId: string;
  botName: string;
  clock: StandInClock;
  /** When true, posting to a `C…`/`G…` id that was never added with `addChannel` fails with `channel_not_found`. */
  strictChannels: boolean;
}

/**
 * What a workspace keeps across a restart (`saveState` / `restoreState`): its conversations with
 * their messages, the App Home views, and the counters that keep new `ts` and ids unique. Users come
 * from the stand-in's options; modals, trigger ids and response URLs are short-lived and not kept.
 */
export interface SavedWorkspace {
  version: 1;
  channels: StandInChannel[];
  messages: StandInMessage[];
  homeViews: StandInView[];
  lastTsMicros: number;
  counter: number;
}

/** The stand-in's workspace state. */
export class StandInWorkspace {
  readonly users = new Map<string, StandInUser>();
  readonly channels = new Map<string, StandInChannel>();
  readonly homeViews = new Map<string, StandInView>();
  /** Open modals per user, bottom of the stack first. */
  readonly modalStacks = new Map<string, StandInView[]>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly responseUrlPosts: ResponseUrlPost[] = [];
  private readonly messagesByChannel = new Map<string, StandInMessage[]>();
  private readonly viewsById = new Map<string, StandInView>();
  private readonly triggers = new Map<string, TriggerRecord>();
  private lastTsMicros = 0;
  private counter = 0;

  constructor(readonly options: WorkspaceOptions) {
    this.addUser({
      id: options.botUserId,
      name: options.botName,
      realName: options.botName,
      isBot: true,
    });
  }

  get clock(): StandInClock {
    return this.options.clock;
  }

  // ---- saving ------------------------------------------------------------------------------------

  saveState(): SavedWorkspace {
    return {
      version: 1,
      channels: [...this.channels.values()],
      messages: this.allMessages(),
      homeViews: [...this.homeViews.values()],
      lastTsMicros: this.lastTsMicros,
      counter: this.counter,
    };
  }

  /** Puts back what `saveState` saved (on a workspace just created with the same users). */
  restoreState(saved: SavedWorkspace): void {
    for (const channel of saved.channels) this.channels.set(channel.id, channel);
    for (const message of saved.messages) this.messagesIn(message.channel).push(message);
    for (const view of saved.homeViews) {
      this.homeViews.set(view.userId, view);
      this.viewsById.set(view.id, view);
    }
    this.lastTsMicros = Math.max(this.lastTsMicros, saved.lastTsMicros);
    this.counter = Math.max(this.counter, saved.counter);
  }

  // ---- ids ---------------------------------------------------------------------------------------

  /** Slack-style message timestamp: `<unix seconds>.<6 digits>`, strictly increasing. */
  nextTs(): string {
    const nowMicros = Math.floor(this.clock.now() / 1000) * 1_000_000 + 100;
    this.lastTsMicros = Math.max(nowMicros, this.lastTsMicros + 100);
    const seconds = Math.floor(this.lastTsMicros / 1_000_000);
    const fraction = String(this.lastTsMicros % 1_000_000).padStart(6, '0');
    return `${seconds}.${fraction}`;
  }

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(10, '0')}`;
  }

  issueTriggerId(userId: string): string {
    this.counter += 1;
    const hex = Buffer.from(`${userId}:${this.counter}:${this.clock.now()}`).toString('hex').slice(0, 32);
    const id = `${this.counter}.${Math.floor(this.clock.now() / 1000)}.${hex}`;
    this.triggers.set(id, { userId, issuedAt: this.clock.now(), used: false });
    return id;
  }

  /** Checks and consumes a trigger id; returns a Slack error code when it can't be used. */
  useTriggerId(triggerId: string, ttlMs: number): { userId: string } | { error: string } {
    const trigger = this.triggers.get(triggerId);
    if (trigger === undefined) return { error: 'invalid_trigger_id' };
    if (trigger.used) return { error: 'exchanged_trigger_id' };
    if (this.clock.now() - trigger.issuedAt > ttlMs) return { error: 'expired_trigger_id' };
    trigger.used = true;
    return { userId: trigger.userId };
  }

  // ---- users ---------------------------------------------------------------------------------------

  addUser(input: StandInUserInput | string): StandInUser {
    const user = standInUser(input);
    this.users.set(user.id, user);
    return user;
  }

  userByEmail(email: string): StandInUser | undefined {
    const wanted = email.trim().toLowerCase();
    for (const user of this.users.values()) {
      if (user.email !== undefined && user.email.toLowerCase() === wanted) return user;
    }
    return undefined;
  }

  requireUser(userId: string): StandInUser {
    const user = this.users.get(userId);
    if (user === undefined) {
      throw new Error(`Slack stand-in: unknown user ${userId}; add it first with slack.addUser({ id: '${userId}' })`);
    }
    return user;
  }

  // ---- conversations ----------------------------------------------------------------------------

  addChannel(input: { id: string; name?: string; members?: string[] }): StandInChannel {
    const existing = this.channels.get(input.id);
    if (existing !== undefined) return existing;
    const channel: StandInChannel = {
      id: input.id,
      name: input.name ?? input.id.toLowerCase(),
      kind: 'channel',
      members: input.members ?? [],
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The id of the DM between the bot and a user: stable, `U0ALICE` -> `D0ALICE`. */
  dmId(userId: string): string {
    return `D${userId.replace(/^[UW]/, '')}`;
  }

  /** The DM between the bot and a user (Slack keeps one per user; the id is stable). */
  dmFor(userId: string): StandInChannel {
    const id = this.dmId(userId);
    let channel = this.channels.get(id);
    if (channel === undefined) {
      channel = { id, name: 'directmessage', kind: 'im', user: userId, members: [userId, this.options.botUserId] };
      this.channels.set(id, channel);
    }
    return channel;
  }

  isUserId(id: string): boolean {
    return /^[UW][A-Z0-9]+$/.test(id);
  }

  /**
   * Where chat.postMessage / postEphemeral deliver: a user id means that user's DM (like Slack), a known
   * conversation id is itself, an unknown `C…`/`G…` id is created on first use unless `strictChannels`.
   */
  resolveChannelForPost(id: string): StandInChannel | undefined {
    if (this.isUserId(id)) {
      const user = this.users.get(id);
      return user === undefined || user.deleted ? undefined : this.dmFor(id);
    }
    return this.resolveConversation(id);
  }

  /**
   * A conversation id, strictly (chat.update, conversations.history: Slack wants the `D…` id, not the
   * user id).
   */
  resolveConversation(id: string): StandInChannel | undefined {
    const known = this.channels.get(id);
    if (known !== undefined) return known;
    if (!this.options.strictChannels && /^[CG][A-Z0-9]{2,}$/.test(id)) return this.addChannel({ id });
    return undefined;
  }

  /** Resolves what a test passes (a user id or a conversation id) without creating anything new. */
  lookupConversation(channelOrUserId: string): StandInChannel | undefined {
    if (this.isUserId(channelOrUserId)) {
      return this.users.has(channelOrUserId) ? this.dmFor(channelOrUserId) : undefined;
    }
    return this.channels.get(channelOrUserId);
  }

  // ---- messages -----------------------------------------------------------------------------------

  messagesIn(channelId: string): StandInMessage[] {
    let list = this.messagesByChannel.get(channelId);
    if (list === undefined) {
      list = [];
      this.messagesByChannel.set(channelId, list);
    }
    return list;
  }

  allMessages(): StandInMessage[] {
    return [...this.messagesByChannel.values()].flat();
  }

  findMessage(channelId: string, ts: string): StandInMessage | undefined {
    return this.messagesByChannel.get(channelId)?.find((m) => m.ts === ts);
  }

  addMessage(
    channel: StandInChannel,
    content: MessageContent,
    options: {
      author?: string;
      threadTs?: string;
      visibleTo?: string;
      via?: StandInMessage['via'];
    } = {},
  ): StandInMessage {
    const author = options.author ?? this.options.botUserId;
    const message: StandInMessage = {
      channel: channel.id,
      ts: this.nextTs(),
      kind: options.visibleTo !== undefined ? 'ephemeral' : options.threadTs !== undefined ? 'reply' : 'message',
      author,
      ...(author === this.options.botUserId ? { botId: this.options.botId } : {}),
      ...this.normalizeContent(content),
      ...(options.threadTs !== undefined ? { threadTs: options.threadTs } : {}),
      replyCount: 0,
      ...(options.visibleTo !== undefined ? { visibleTo: options.visibleTo } : {}),
      via: options.via ?? 'api',
      deleted: false,
      versions: [],
      postedAt: this.clock.now(),
    };
    if (message.kind === 'reply' && options.threadTs !== undefined) {
      const parent = this.findMessage(channel.id, options.threadTs);
      if (parent !== undefined) {
        parent.replyCount += 1;
        parent.threadTs ??= parent.ts;
      }
    }
    this.messagesIn(channel.id).push(message);
    return message;
  }

  /** Replaces a message's content in place, keeping the earlier version (chat.update / replace_original). */
  updateMessage(message: StandInMessage, content: Partial<MessageContent>): StandInMessage {
    message.versions.push({
      text: message.text,
      ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
      ...(message.attachments !== undefined ? { attachments: message.attachments } : {}),
      ...(message.metadata !== undefined ? { metadata: message.metadata } : {}),
      replacedAt: this.clock.now(),
    });
    const next = this.normalizeContent({
      text: content.text ?? message.text,
      ...(content.blocks !== undefined ? { blocks: content.blocks } : message.blocks !== undefined ? { blocks: message.blocks } : {}),
      ...(content.attachments !== undefined
        ? { attachments: content.attachments }
        : message.attachments !== undefined
          ? { attachments: message.attachments }
          : {}),
      ...(content.metadata !== undefined ? { metadata: content.metadata } : message.metadata !== undefined ? { metadata: message.metadata } : {}),
    });
    message.text = next.text;
    if (next.blocks !== undefined) message.blocks = next.blocks;
    else delete message.blocks;
    if (next.attachments !== undefined) message.attachments = next.attachments;
    else delete message.attachments;
    if (next.metadata !== undefined) message.metadata = next.metadata;
    message.editedTs = this.nextTs();
    return message;
  }

  /** Slack assigns a block_id to every block that has none; interaction payloads carry it. */
  normalizeContent(content: MessageContent): MessageContent {
    return {
      text: content.text,
      ...(content.blocks !== undefined ? { blocks: this.withBlockIds(content.blocks) } : {}),
      ...(content.attachments !== undefined ? { attachments: structuredClone(content.attachments) } : {}),
      ...(content.metadata !== undefined ? { metadata: structuredClone(content.metadata) } : {}),
    };
  }

  withBlockIds(blocks: Record<string, unknown>[]): Record<string, unknown>[] {
    return blocks.map((block) => {
      const copy = structuredClone(block);
      if (typeof copy.block_id !== 'string') {
        this.counter += 1;
        copy.block_id = `sb${this.counter.toString(36)}`;
      }
      return copy;
    });
  }

  /** The message as Slack's Web API renders it (conversations.history, chat.* responses, payloads). */
  toApiMessage(message: StandInMessage, includeMetadata = true): Record<string, unknown> {
    const isBot = message.botId !== undefined;
    return {
      type: 'message',
      user: message.author,
      ...(isBot
        ? {
            bot_id: message.botId,
            app_id: this.options.appId,
            bot_profile: { id: message.botId, app_id: this.options.appId, name: this.options.botName, deleted: false, team_id: this.options.teamId },
          }
        : {}),
      text: message.text,
      ts: message.ts,
      team: this.options.teamId,
      ...(message.blocks !== undefined ? { blocks: structuredClone(message.blocks) } : {}),
      ...(message.attachments !== undefined ? { attachments: structuredClone(message.attachments) } : {}),
      ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
      ...(message.kind === 'message' && message.replyCount > 0 ? { reply_count: message.replyCount } : {}),
      ...(message.editedTs !== undefined ? { edited: { user: message.author, ts: message.editedTs } } : {}),
      ...(includeMetadata && message.metadata !== undefined ? { metadata: structuredClone(message.metadata) } : {}),
    };
  }

  // ---- views ----------------------------------------------------------------------------------------

  storeView(
    userId: string,
    definition: Record<string, unknown>,
    replacing?: StandInView,
  ): StandInView {
    const blocks = Array.isArray(definition.blocks) ? this.withBlockIds(definition.blocks as Record<string, unknown>[]) : [];
    const id = replacing?.id ?? this.nextId('V');
    const view: StandInView = {
      id,
      type: definition.type === 'home' ? 'home' : 'modal',
      userId,
      callbackId: typeof definition.callback_id === 'string' ? definition.callback_id : '',
      privateMetadata: typeof definition.private_metadata === 'string' ? definition.private_metadata : '',
      externalId: typeof definition.external_id === 'string' ? definition.external_id : '',
      hash: `${Math.floor(this.clock.now() / 1000)}.${this.nextId('h')}`,
      rootViewId: replacing?.rootViewId ?? id,
      previousViewId: replacing?.previousViewId ?? null,
      definition: { ...structuredClone(definition), blocks },
    };
    this.viewsById.set(id, view);
    return view;
  }

  viewById(id: string): StandInView | undefined {
    return this.viewsById.get(id);
  }

  viewByExternalId(externalId: string): StandInView | undefined {
    for (const view of this.viewsById.values()) if (view.externalId === externalId) return view;
    return undefined;
  }

  modalStack(userId: string): StandInView[] {
    let stack = this.modalStacks.get(userId);
    if (stack === undefined) {
      stack = [];
      this.modalStacks.set(userId, stack);
    }
    return stack;
  }

  /** The view object as Slack renders it in views.* responses and interaction payloads. */
  toApiView(view: StandInView, stateValues: Record<string, unknown> = {}): Record<string, unknown> {
    const def = view.definition;
    return {
      id: view.id,
      team_id: this.options.teamId,
      type: view.type,
      blocks: structuredClone(def.blocks),
      private_metadata: view.privateMetadata,
      callback_id: view.callbackId,
      state: { values: stateValues },
      hash: view.hash,
      title: def.title ?? null,
      clear_on_close: def.clear_on_close === true,
      notify_on_close: def.notify_on_close === true,
      close: def.close ?? null,
      submit: def.submit ?? null,
      previous_view_id: view.previousViewId,
      root_view_id: view.rootViewId,
      app_id: this.options.appId,
      external_id: view.externalId,
      app_installed_team_id: this.options.teamId,
      bot_id: this.options.botId,
    };
  }

  // ---- response URLs ------------------------------------------------------------------------------

  issueResponseUrl(baseUrl: string, record: Omit<ResponseUrlRecord, 'id' | 'url' | 'posts' | 'issuedAt'>): ResponseUrlRecord {
    const id = this.nextId('R');
    const full: ResponseUrlRecord = { ...record, id, url: `${baseUrl}/respond/${id}`, issuedAt: this.clock.now(), posts: [] };
    this.responseUrls.set(id, full);
    return full;
  }
}

/** `tz_offset` (seconds east of UTC) and a label for an IANA zone at a moment. */
export function timeZoneInfo(tz: string, atMs: number): { offsetSeconds: number; label: string } {
  const at = new Date(atMs);
  const offsetPart = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(offsetPart ?? '');
  const offsetSeconds =
    match === null ? 0 : (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60);
  const label =
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'long' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value ?? tz;
  return { offsetSeconds, label };
}
