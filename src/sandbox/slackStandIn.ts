/**
 * The Slack stand-in: a fake Slack on 127.0.0.1 that the real Bolt app talks to over HTTP (and
 * WebSocket for Socket Mode) with Slack's own wire formats. Used by the end-to-end tests and meant
 * to back the product's sandbox mode, so it has no test-framework imports and only depends on
 * `node:*` and `ws`.
 *
 * ```ts
 * const slack = await startSlackStandIn({ signingSecret, users: [{ id: 'U0ALICE' }] });
 * const app = new App({ token: slack.botToken, signingSecret, clientOptions: { slackApiUrl: slack.apiUrl } });
 * const server = await app.start(0);                       // HTTPReceiver resolves with the http.Server
 * slack.setRequestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
 * const reply = await slack.slashCommand({ command: '/away', text: '2h', userId: 'U0ALICE' });
 * await slack.waitForCall('chat.postMessage', (c) => c.args.channel === 'U0ALICE');
 * await app.stop(); await slack.close();
 * ```
 *
 * The pieces: `slackWorkspace.ts` (state), `slackWebApi.ts` (Web API + response_url), `slackRequests.ts`
 * (what Slack sends to apps), `slackSocketMode.ts` (Socket Mode), `slackBlocks.ts` (Block Kit checks),
 * `slackSigning.ts` (request signatures).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  eventCallbackEnvelope,
  formEncode,
  messageBlockActionsPayload,
  postToApp,
  slashCommandFields,
  stateValues,
  viewBlockActionsPayload,
  viewSubmissionPayload,
  type AppIdentity,
  type BlockActionInput,
  type EventOptions,
  type SendOptions,
  type SlashCommandInput,
  type ViewSubmissionInput,
} from './slackRequests.ts';
import type { SocketEnvelopeType, SocketLogEntry, SocketModeHub } from './slackSocketMode.ts';
import { createRateLimiter, type RateLimiter, type RateLimitStats } from './slackRateLimits.ts';
import {
  applyResponseUrlPost,
  readBody,
  sendJson,
  SlackWebApi,
  type ApiArgs,
  type ApiCall,
  type CustomMethodHandler,
  type FaultHandle,
  type FaultOptions,
  type StandInFault,
} from './slackWebApi.ts';
import {
  StandInWorkspace,
  type ResponseUrlPost,
  type ResponseUrlRecord,
  type StandInChannel,
  type StandInClock,
  type StandInMessage,
  type StandInUser,
  type StandInUserInput,
  type StandInView,
} from './slackWorkspace.ts';

export { signSlackRequest, slackSignatureHeaders } from './slackSigning.ts';
export { standInUser } from './slackWorkspace.ts';
export { blockProblems, viewProblems } from './slackBlocks.ts';
export type {
  ApiArgs,
  ApiCall,
  BlockActionInput,
  CustomMethodHandler,
  EventOptions,
  FaultHandle,
  FaultOptions,
  ResponseUrlPost,
  SendOptions,
  SlashCommandInput,
  SocketLogEntry,
  StandInChannel,
  StandInClock,
  StandInFault,
  StandInMessage,
  StandInUser,
  StandInUserInput,
  StandInView,
  ViewSubmissionInput,
};
export type { ViewValuesInput } from './slackRequests.ts';

export interface SlackStandInOptions {
  /** The app's signing secret: every request to the app is signed with it. */
  signingSecret: string;
  /** Default `xoxb-test`. */
  botToken?: string;
  /** App-level token for Socket Mode; default `xapp-test`. */
  appToken?: string;
  /** Default `T0TEAM`. */
  teamId?: string;
  /** Default `leadrelay-test`. */
  teamDomain?: string;
  teamName?: string;
  /** Default `A0LEADRELAY`. */
  appId?: string;
  /** The bot's user id; default `U0BOT`. */
  botUserId?: string;
  /** Default `B0BOT`. */
  botId?: string;
  /** Default `leadrelay`. */
  botName?: string;
  /** The deprecated verification token Slack puts in payloads. */
  verificationToken?: string;
  /** Workspace members: ids or partial users (the rest derived from the id, see `standInUser`). */
  users?: Array<StandInUserInput | string>;
  /** Channels to create up front. */
  channels?: Array<{ id: string; name?: string }>;
  /** When true, unknown `C…`/`G…` ids are `channel_not_found` (default: created on first use). */
  strictChannels?: boolean;
  /**
   * Time for request timestamps, message `ts`, trigger expiry. Default real time: Bolt checks
   * `X-Slack-Request-Timestamp` against its own real clock (±5 minutes).
   */
  clock?: StandInClock;
  /**
   * Time for `X-Slack-Request-Timestamp` only; default `clock`. The sandbox shows a fixed or fake
   * `clock` on the page while Bolt, which checks the timestamp against its real clock, gets real time.
   */
  requestClock?: StandInClock;
  /** The app's request URL (HTTP mode), e.g. `http://127.0.0.1:3000/slack/events`. */
  requestUrl?: string;
  /** Default `auto`: HTTP when a request URL is set, else Socket Mode when an app is connected. */
  transport?: StandInTransport;
  /** Safety timeout for every wait (and for the app to answer); only turns a hang into an error. Default 10 s. */
  timeoutMs?: number;
  /** trigger_id lifetime for views.open / views.push. Default 3 s, like Slack. */
  triggerTtlMs?: number;
  /** Default 0: an ephemeral port. */
  port?: number;
  /**
   * Default true. False keeps Socket Mode off (apps.connections.open fails) and never loads `ws`, so
   * an HTTP-only user of the kit needs no WebSocket library.
   */
  socketMode?: boolean;
  /**
   * `enforce`: calls over Slack's rate limits (slackRateLimits.ts: posting ~1/s per channel,
   * chat.update Tier 3) are refused with 429 + Retry-After, as Slack does, and counted in
   * `rateLimitStats`. Default `off`.
   */
  rateLimits?: 'enforce' | 'off';
}

export type StandInTransport = 'auto' | 'http' | 'socket';

/** What the app answered to something the stand-in sent it. */
export interface AppReply {
  transport: 'http' | 'socket';
  /** HTTP status (Socket Mode: 200 once acked). */
  status: number;
  /** HTTP response headers (Socket Mode: none). */
  headers: IncomingHttpHeaders;
  /** Raw response body (Socket Mode: the ack payload as JSON, or ''). */
  text: string;
  /** The ack body: parsed JSON, a plain string, or undefined when empty. */
  body: unknown;
  /** What was delivered: slash command fields, the interaction payload or the event envelope. */
  sent: Record<string, unknown>;
  /** Socket Mode envelope id. */
  envelopeId?: string;
  /** Posts the app makes to this request's response_url. */
  responses: ResponseUrlInbox;
}

export interface EventDelivery extends AppReply {
  eventId: string;
  /** Delivers the same envelope again as a Slack retry (default: next retry number, reason `http_timeout`). */
  retry(options?: { retryNum?: number; retryReason?: string }): Promise<EventDelivery>;
}

export interface WaitOptions {
  /** Overrides the stand-in's safety timeout. */
  timeoutMs?: number;
}

/** The posts an app makes to one response_url. */
export class ResponseUrlInbox {
  constructor(
    private readonly standIn: SlackStandIn,
    private readonly record: ResponseUrlRecord | undefined,
  ) {}

  get url(): string | undefined {
    return this.record?.url;
  }

  get posts(): readonly ResponseUrlPost[] {
    return this.record?.posts ?? [];
  }

  /** Resolves with the first post (already made or coming) that matches. */
  waitFor(predicate: (post: ResponseUrlPost) => boolean = () => true, options: WaitOptions = {}): Promise<ResponseUrlPost> {
    const record = this.record;
    if (record === undefined) return Promise.reject(new Error('Slack stand-in: this request had no response_url'));
    return this.standIn.waitUntil(() => record.posts.find(predicate), {
      ...options,
      description: () => `a matching post to ${record.url} (posts so far: ${JSON.stringify(record.posts.map((p) => p.body))})`,
    });
  }

  /** Resolves with the `index`-th post (0-based) once it is made. */
  nth(index: number, options: WaitOptions = {}): Promise<ResponseUrlPost> {
    const record = this.record;
    if (record === undefined) return Promise.reject(new Error('Slack stand-in: this request had no response_url'));
    return this.standIn.waitUntil(() => record.posts[index], {
      ...options,
      description: () => `post #${index} to ${record.url} (${record.posts.length} so far)`,
    });
  }
}

interface Waiter {
  check: () => void;
  fail: (error: Error) => void;
}

/** A running stand-in. Create with `startSlackStandIn`. */
export class SlackStandIn {
  readonly botToken: string;
  readonly appToken: string;
  readonly signingSecret: string;
  readonly workspace: StandInWorkspace;
  /** Where the app should send Web API calls: `http://127.0.0.1:<port>/api/`. */
  apiUrl = '';
  /** `http://127.0.0.1:<port>`. */
  baseUrl = '';
  port = 0;
  private requestUrlValue: string | undefined;
  private transportValue: StandInTransport;
  private readonly app: AppIdentity;
  private readonly webApi: SlackWebApi;
  private socket: SocketModeHub | undefined;
  private readonly socketModeEnabled: boolean;
  private readonly server: Server;
  private readonly timeoutMs: number;
  private readonly waiters = new Set<Waiter>();
  private eventCounter = 0;
  private closed = false;
  private readonly changeListeners = new Set<() => void>();
  private readonly requestClock: StandInClock;
  private readonly rateLimitsMode: 'enforce' | 'off';
  private limiter: RateLimiter | undefined;

  constructor(options: SlackStandInOptions) {
    this.rateLimitsMode = options.rateLimits ?? 'off';
    this.signingSecret = options.signingSecret;
    this.botToken = options.botToken ?? 'xoxb-test';
    this.appToken = options.appToken ?? 'xapp-test';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.requestUrlValue = options.requestUrl;
    this.transportValue = options.transport ?? 'auto';
    const clock = options.clock ?? { now: () => Date.now() };
    this.requestClock = options.requestClock ?? clock;
    this.workspace = new StandInWorkspace({
      teamId: options.teamId ?? 'T0TEAM',
      teamDomain: options.teamDomain ?? 'leadrelay-test',
      appId: options.appId ?? 'A0LEADRELAY',
      botUserId: options.botUserId ?? 'U0BOT',
      botId: options.botId ?? 'B0BOT',
      botName: options.botName ?? 'leadrelay',
      clock,
      strictChannels: options.strictChannels ?? false,
    });
    const o = this.workspace.options;
    this.app = {
      appId: o.appId,
      teamId: o.teamId,
      teamDomain: o.teamDomain,
      verificationToken: options.verificationToken ?? 'standInVerificationToken',
      botUserId: o.botUserId,
    };
    for (const user of options.users ?? []) this.workspace.addUser(user);
    for (const channel of options.channels ?? []) this.workspace.addChannel(channel);
    this.server = createServer((req, res) => this.route(req, res));
    this.webApi = new SlackWebApi({
      workspace: this.workspace,
      botToken: this.botToken,
      appToken: this.appToken,
      teamName: options.teamName ?? 'Leadrelay Test',
      issueSocketUrl: () => this.socket?.issueUrl(),
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      onChange: () => this.notify(),
      ...(this.rateLimiter !== undefined ? { rateLimiter: this.rateLimiter } : {}),
    });
    this.socketModeEnabled = options.socketMode ?? true;
  }

  private get rateLimiter(): RateLimiter | undefined {
    if (this.rateLimitsMode === 'off') return undefined;
    this.limiter ??= createRateLimiter({ mode: 'enforce' });
    return this.limiter;
  }

  /** Calls refused for going over Slack's rate limits (with `rateLimits: 'enforce'`), per method, and the worst overdraft. */
  get rateLimitStats(): RateLimitStats {
    return this.limiter?.stats ?? { overLimit: {}, worstOverdraft: 0 };
  }

  /** Starts listening (127.0.0.1, ephemeral port unless `port` is given). */
  async listen(port = 0): Promise<this> {
    if (this.socketModeEnabled && this.socket === undefined) {
      // Loaded on demand so that HTTP-only users never need `ws`.
      const { SocketModeHub: Hub } = await import('./slackSocketMode.ts');
      this.socket = new Hub({
        server: this.server,
        wsBase: () => this.baseUrl.replace(/^http:/, 'ws:'),
        appId: this.workspace.options.appId,
        clock: this.workspace.clock,
        timeoutMs: this.timeoutMs,
        onChange: () => this.notify(),
      });
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    return this;
  }

  // ---- Web API: calls, faults ------------------------------------------------------------------------

  /** Every Web API call answered, oldest first. */
  get calls(): readonly ApiCall[] {
    return this.webApi.calls;
  }

  callsTo(method: string): ApiCall[] {
    return this.webApi.calls.filter((c) => c.method === method);
  }

  /** Forgets the recorded calls (the workspace state stays). */
  clearCalls(): void {
    this.webApi.calls.length = 0;
  }

  /**
   * Resolves with the first call to `method` matching `predicate`, whether already recorded or still to
   * come. `since` skips calls recorded before that index of `calls` (e.g. `since: slack.calls.length`).
   */
  waitForCall(method: string, predicate: (call: ApiCall) => boolean = () => true, options: WaitOptions & { since?: number } = {}): Promise<ApiCall> {
    const since = options.since ?? 0;
    return this.waitUntil(() => this.webApi.calls.slice(since).find((c) => c.method === method && predicate(c)), {
      ...options,
      description: () => `a matching ${method} call; calls to it so far: ${this.describeCalls(method)}`,
    });
  }

  /** Resolves once `count` matching calls to `method` have been recorded. */
  waitForCalls(method: string, count: number, predicate: (call: ApiCall) => boolean = () => true, options: WaitOptions & { since?: number } = {}): Promise<ApiCall[]> {
    const since = options.since ?? 0;
    return this.waitUntil(
      () => {
        const matching = this.webApi.calls.slice(since).filter((c) => c.method === method && predicate(c));
        return matching.length >= count ? matching.slice(0, count) : undefined;
      },
      { ...options, description: () => `${count} matching ${method} calls; so far: ${this.describeCalls(method)}` },
    );
  }

  /**
   * Makes calls to `method` fail: `{ status: 429, retryAfter: 1 }`, `{ status: 500 }`,
   * `{ error: 'channel_not_found' }` (HTTP 200, ok:false) or `{ network: 'reset' }`; the next `times`
   * matching calls (default 1).
   */
  fail(method: string, fault: StandInFault, options: FaultOptions = {}): FaultHandle {
    return this.webApi.fail(method, fault, options);
  }

  clearFaults(): void {
    this.webApi.clearFaults();
  }

  /** Answers `method` with a custom handler (to add a method the stand-in lacks, or replace one). */
  handle(method: string, handler: CustomMethodHandler): void {
    this.webApi.handle(method, handler);
  }

  // ---- workspace -------------------------------------------------------------------------------------

  addUser(user: StandInUserInput | string): StandInUser {
    return this.workspace.addUser(user);
  }

  user(id: string): StandInUser | undefined {
    return this.workspace.users.get(id);
  }

  addChannel(channel: { id: string; name?: string }): StandInChannel {
    return this.workspace.addChannel(channel);
  }

  /** The DM channel id (`D…`) between the bot and a user. */
  dmChannelId(userId: string): string {
    this.workspace.requireUser(userId);
    return this.workspace.dmFor(userId).id;
  }

  /**
   * The conversation as the bot built it, oldest first: posted messages (updated in place by
   * chat.update / replace_original), thread replies and ephemerals. Pass a user id for their DM.
   * The objects are live: they change when the bot updates the message.
   */
  messages(
    channelOrUserId: string,
    { includeReplies = true, includeEphemeral = true, includeDeleted = false }: { includeReplies?: boolean; includeEphemeral?: boolean; includeDeleted?: boolean } = {},
  ): StandInMessage[] {
    const channel = this.workspace.lookupConversation(channelOrUserId);
    if (channel === undefined) return [];
    return this.workspace
      .messagesIn(channel.id)
      .filter((m) => includeDeleted || !m.deleted)
      .filter((m) => includeReplies || m.kind !== 'reply')
      .filter((m) => includeEphemeral || m.kind !== 'ephemeral');
  }

  /** One message by ts (also deleted / ephemeral ones). */
  message(channelOrUserId: string, ts: string): StandInMessage | undefined {
    const channel = this.workspace.lookupConversation(channelOrUserId);
    return channel === undefined ? undefined : this.workspace.findMessage(channel.id, ts);
  }

  /** The newest top-level, not deleted message in a conversation. */
  lastMessage(channelOrUserId: string): StandInMessage | undefined {
    return this.messages(channelOrUserId, { includeReplies: false, includeEphemeral: false }).at(-1);
  }

  /** Replies in the thread under `threadTs`, oldest first. */
  thread(channelOrUserId: string, threadTs: string): StandInMessage[] {
    return this.messages(channelOrUserId).filter((m) => m.kind === 'reply' && m.threadTs === threadTs);
  }

  /** Every ephemeral message shown to a user, in any conversation, oldest first. */
  ephemerals(userId: string): StandInMessage[] {
    return this.workspace
      .allMessages()
      .filter((m) => m.kind === 'ephemeral' && m.visibleTo === userId && !m.deleted)
      .sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  /** Resolves with the first message in the conversation matching `predicate` (re-checked on every change, so updates count). */
  waitForMessage(channelOrUserId: string, predicate: (message: StandInMessage) => boolean = () => true, options: WaitOptions = {}): Promise<StandInMessage> {
    return this.waitUntil(() => this.messages(channelOrUserId).find(predicate), {
      ...options,
      description: () => `a matching message in ${channelOrUserId}; messages: ${JSON.stringify(this.messages(channelOrUserId).map((m) => ({ ts: m.ts, kind: m.kind, text: m.text })))}`,
    });
  }

  /** The user's published App Home view. */
  homeView(userId: string): StandInView | undefined {
    return this.workspace.homeViews.get(userId);
  }

  /** The user's open modals, bottom first. */
  modals(userId: string): StandInView[] {
    return [...this.workspace.modalStack(userId)];
  }

  /**
   * The user closes their top modal (the ✕ or Close button). Slack tells the app with `view_closed`
   * only when the view asked for it (`notify_on_close`), which leadrelay's views do not.
   */
  closeModal(userId: string): StandInView | undefined {
    const closed = this.workspace.modalStack(userId).pop();
    this.notify();
    return closed;
  }

  /** Every post the app made to any response_url. */
  get responseUrlPosts(): readonly ResponseUrlPost[] {
    return this.workspace.responseUrlPosts;
  }

  // ---- sending to the app ------------------------------------------------------------------------------

  get requestUrl(): string | undefined {
    return this.requestUrlValue;
  }

  /** Where HTTP-mode requests go: the app's `/slack/events` URL. `undefined` turns HTTP delivery off. */
  setRequestUrl(url: string | undefined): void {
    this.requestUrlValue = url;
  }

  get transport(): StandInTransport {
    return this.transportValue;
  }

  /** `auto` (default): HTTP when a request URL is set, else Socket Mode when an app is connected. */
  set transport(value: StandInTransport) {
    this.transportValue = value;
  }

  /** A user types a slash command. The reply carries the ack body and the response_url inbox. */
  async slashCommand(input: SlashCommandInput, send: SendOptions = {}): Promise<AppReply> {
    const user = this.workspace.requireUser(input.userId);
    const channel =
      input.channelId !== undefined
        ? this.workspace.resolveChannelForPost(input.channelId) ?? this.workspace.addChannel({ id: input.channelId })
        : this.workspace.dmFor(user.id);
    const channelRef = { id: channel.id, name: input.channelName ?? channel.name };
    const responseUrl = this.workspace.issueResponseUrl(this.baseUrl, { userId: user.id, channel: channel.id });
    const fields = slashCommandFields(this.app, user, input, channelRef, responseUrl.url, this.workspace.issueTriggerId(user.id));
    const reply = await this.deliver('slash_commands', fields, { form: fields, acceptsResponsePayload: true }, send, responseUrl);
    this.showCommandAck(reply.body, channel, user.id);
    this.notify();
    return reply;
  }

  /**
   * A user clicks a button / picks a user or option in a message (`message`) or a view (`view`). With a
   * message, the element must be in the stored message unless `requireElement: false`.
   */
  async blockAction(input: BlockActionInput, send: SendOptions = {}): Promise<AppReply> {
    const user = this.workspace.requireUser(input.userId);
    const triggerId = this.workspace.issueTriggerId(user.id);
    if (input.message !== undefined) {
      const channel = this.workspace.lookupConversation(input.message.channel);
      if (channel === undefined) throw new Error(`Slack stand-in: unknown conversation ${input.message.channel}`);
      const message = this.workspace.findMessage(channel.id, input.message.ts);
      if (message === undefined && input.requireElement !== false) {
        throw new Error(`Slack stand-in: no message ${input.message.ts} in ${channel.id}`);
      }
      const responseUrl = this.workspace.issueResponseUrl(this.baseUrl, { userId: user.id, channel: channel.id, messageTs: input.message.ts });
      const payload = messageBlockActionsPayload(this.workspace, this.app, user, input, channel, message, input.message.ts, responseUrl.url, triggerId);
      return this.deliver('interactive', payload, { acceptsResponsePayload: false }, send, responseUrl);
    }
    if (input.view !== undefined) {
      const view = this.findViewFor(user.id, input.view);
      const payload = viewBlockActionsPayload(this.workspace, this.app, user, input, view, triggerId);
      return this.deliver('interactive', payload, { acceptsResponsePayload: false }, send, undefined);
    }
    throw new Error('Slack stand-in: blockAction needs a message or a view');
  }

  /**
   * A user submits a modal. Finds the open modal (by `viewId`, `callbackId`, or the top one) and applies
   * the ack's `response_action` (errors / update / push / clear) to the modal stack like Slack.
   */
  async viewSubmission(input: ViewSubmissionInput, send: SendOptions = {}): Promise<AppReply> {
    const user = this.workspace.requireUser(input.userId);
    const stack = this.workspace.modalStack(user.id);
    const found =
      input.viewId !== undefined
        ? this.workspace.viewById(input.viewId)
        : [...stack].reverse().find((v) => input.callbackId === undefined || v.callbackId === input.callbackId);
    const view =
      found ??
      this.workspace.storeView(user.id, {
        type: 'modal',
        callback_id: input.callbackId ?? '',
        title: { type: 'plain_text', text: 'Stand-in modal' },
        blocks: [],
      });
    const submitted: StandInView = input.privateMetadata !== undefined ? { ...view, privateMetadata: input.privateMetadata } : view;
    const payload = viewSubmissionPayload(this.workspace, this.app, user, submitted, stateValues(input.values), this.workspace.issueTriggerId(user.id));
    const reply = await this.deliver('interactive', payload, { acceptsResponsePayload: true }, send, undefined);
    this.applyViewAck(user.id, view, reply.body);
    this.notify();
    return reply;
  }

  /**
   * Delivers an Events API event (`{ type: 'app_home_opened', user, tab: 'home' }`), wrapped in the
   * `event_callback` envelope. `event_ts` is added; `app_home_opened` also gets the user's DM `channel`
   * and their current home `view`, like Slack.
   */
  async event(event: Record<string, unknown> & { type: string }, options: EventOptions = {}, send: SendOptions = {}): Promise<EventDelivery> {
    const full: Record<string, unknown> = { ...event };
    const nowMs = this.workspace.clock.now();
    full.event_ts ??= `${Math.floor(nowMs / 1000)}.${String((nowMs % 1000) * 1000).padStart(6, '0')}`;
    if (event.type === 'app_home_opened' && typeof event.user === 'string' && this.workspace.users.has(event.user)) {
      full.tab ??= 'home';
      full.channel ??= this.workspace.dmFor(event.user).id;
      const home = this.workspace.homeViews.get(event.user);
      if (home !== undefined && full.view === undefined) full.view = this.workspace.toApiView(home);
    }
    this.eventCounter += 1;
    const eventId = options.eventId ?? `Ev${String(this.eventCounter).padStart(9, '0')}STANDIN`;
    const envelope = eventCallbackEnvelope(this.app, full, eventId, options.eventTime ?? Math.floor(nowMs / 1000));
    return this.deliverEvent(envelope, eventId, options.retryNum, options.retryReason, send);
  }

  /** POSTs an arbitrary signed body to the app's request URL (for edge cases: odd content types, bad JSON…). */
  async postRaw(rawBody: string, contentType: string, send: SendOptions = {}): Promise<AppReply> {
    const url = this.requireRequestUrl();
    const reply = await postToApp(url, rawBody, contentType, this.signing(send), send.headers ?? {}, this.timeoutMs);
    return this.httpReply(reply, {}, undefined);
  }

  // ---- Socket Mode -------------------------------------------------------------------------------------

  /** Socket Mode connections currently open. */
  get socketConnections(): number {
    return this.socket?.openCount ?? 0;
  }

  /** Socket Mode connections opened since start (reconnects count). */
  get socketConnectionsOpened(): number {
    return this.socket?.opened ?? 0;
  }

  /** Every Socket Mode frame exchanged. */
  get socketLog(): readonly SocketLogEntry[] {
    return this.socket?.log ?? [];
  }

  /** Resolves once a Socket Mode connection is open (`minOpened`: once that many were ever opened). */
  waitForSocketConnection(options: WaitOptions & { minOpened?: number } = {}): Promise<void> {
    if (this.socket === undefined) return Promise.reject(new Error('Slack stand-in: Socket Mode is off (socketMode: false)'));
    return this.waitUntil(
      () => (this.socketConnections > 0 && this.socketConnectionsOpened >= (options.minOpened ?? 1) ? true : undefined),
      { ...options, description: () => `a Socket Mode connection (open: ${this.socketConnections}, opened so far: ${this.socketConnectionsOpened})` },
    ).then(() => undefined);
  }

  /** Sends `{ type: 'disconnect', reason }` and resolves once the app closed the connection(s). */
  disconnectSocket(reason: 'refresh_requested' | 'warning' | 'link_disabled' | (string & {}) = 'refresh_requested'): Promise<void> {
    return this.socket === undefined ? Promise.resolve() : this.socket.disconnect(reason);
  }

  // ---- waiting -----------------------------------------------------------------------------------------

  /**
   * Resolves with the first truthy value `probe` returns; `probe` is re-run whenever the stand-in records
   * something (a call, a post, a socket frame). Rejects after the safety timeout, quoting `description`.
   */
  waitUntil<T>(probe: () => T | undefined | null | false, options: WaitOptions & { description?: () => string } = {}): Promise<T> {
    const first = probe();
    if (first !== undefined && first !== null && first !== false) return Promise.resolve(first);
    if (this.closed) return Promise.reject(new Error('Slack stand-in is closed'));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          let value: T | undefined | null | false;
          try {
            value = probe();
          } catch (error) {
            done();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (value !== undefined && value !== null && value !== false) {
            done();
            resolve(value);
          }
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Slack stand-in: timed out after ${timeoutMs} ms waiting for ${options.description?.() ?? 'a condition'}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops the server, drops Socket Mode connections, fails pending waits. Stop the app first. */
  /**
   * Calls `listener` after every change to the workspace or the call log (a Web API call, a reply to a
   * request, a response_url post). Returns a function that removes it. The sandbox page's live updates.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.fail(new Error('Slack stand-in closed'));
    await this.socket?.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- internals ---------------------------------------------------------------------------------------

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.check();
    for (const listener of [...this.changeListeners]) listener();
  }

  private describeCalls(method: string): string {
    const calls = this.callsTo(method);
    if (calls.length === 0) return 'none';
    return calls
      .map((c) => `${JSON.stringify(c.args).slice(0, 200)} -> ${c.status} ${c.ok ? 'ok' : String(c.response.error)}`)
      .join('; ');
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.baseUrl || 'http://127.0.0.1');
    const handle = async (): Promise<void> => {
      if (url.pathname.startsWith('/api/')) {
        await this.webApi.serve(req, res, decodeURIComponent(url.pathname.slice('/api/'.length)), url.searchParams);
        return;
      }
      const respond = /^\/respond\/([A-Za-z0-9]+)$/.exec(url.pathname);
      if (respond !== null && req.method === 'POST') {
        await this.serveResponseUrl(req, res, respond[1] as string);
        return;
      }
      sendJson(res, 404, { ok: false, error: 'not_found' });
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'standin_error', detail: String(error) });
      else res.destroy();
    });
  }

  private async serveResponseUrl(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const record = this.workspace.responseUrls.get(id);
    const raw = await readBody(req);
    // Faults for response URLs are registered as `fail('response_url', …)`.
    const fault = this.webApi.takeFault('response_url', { url: record?.url });
    const injected = (status: number) => {
      if (record === undefined) return;
      const post: ResponseUrlPost = { url: record.url, body: parseObject(raw) ?? {}, at: this.workspace.clock.now(), status, injected: true };
      record.posts.push(post);
      this.workspace.responseUrlPosts.push(post);
      this.notify();
    };
    if (fault !== undefined && 'network' in fault) {
      injected(0);
      req.socket.destroy();
      return;
    }
    if (fault !== undefined && !('delayMs' in fault)) {
      const status = 'status' in fault ? fault.status : 404;
      injected(status);
      sendJson(res, status, { ok: false, error: fault.error ?? `http_${status}` }, 'retryAfter' in fault && fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      return;
    }
    const body = parseObject(raw);
    if (body === undefined) {
      sendJson(res, 400, { ok: false, error: 'invalid_payload' });
      return;
    }
    if (record === undefined) {
      sendJson(res, 404, { ok: false, error: 'expired_url' });
      return;
    }
    const result = applyResponseUrlPost(this.workspace, record, body);
    const post: ResponseUrlPost = { url: record.url, body, at: this.workspace.clock.now(), status: result.status };
    record.posts.push(post);
    this.workspace.responseUrlPosts.push(post);
    this.notify();
    if (fault !== undefined && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    sendJson(res, result.status, result.body);
  }

  private requireRequestUrl(): string {
    if (this.requestUrlValue === undefined) throw new Error('Slack stand-in: no request URL; call slack.setRequestUrl(...) first');
    return this.requestUrlValue;
  }

  private async pickTransport(): Promise<'http' | 'socket'> {
    if (this.transportValue === 'http') {
      this.requireRequestUrl();
      return 'http';
    }
    if (this.transportValue === 'socket') {
      if (this.socketConnections === 0) await this.waitForSocketConnection();
      return 'socket';
    }
    if (this.requestUrlValue !== undefined) return 'http';
    if (this.socketConnections > 0) return 'socket';
    throw new Error(
      'Slack stand-in: nowhere to deliver — call slack.setRequestUrl(...) (HTTP mode) or start a Socket Mode app and await slack.waitForSocketConnection()',
    );
  }

  private signing(send: SendOptions): { secret: string; timestampSeconds: number; signature?: string } {
    return {
      secret: send.signingSecret ?? this.signingSecret,
      timestampSeconds: send.timestamp ?? Math.floor(this.requestClock.now() / 1000),
      ...(send.signature !== undefined ? { signature: send.signature } : {}),
    };
  }

  private async deliver(
    type: SocketEnvelopeType,
    payload: Record<string, unknown>,
    how: { form?: Record<string, string>; acceptsResponsePayload: boolean; retryNum?: number; retryReason?: string },
    send: SendOptions,
    responseUrl: ResponseUrlRecord | undefined,
  ): Promise<AppReply> {
    const transport = await this.pickTransport();
    if (transport === 'socket' && this.socket !== undefined) {
      const ack = await this.socket.deliver(type, payload, {
        acceptsResponsePayload: how.acceptsResponsePayload,
        ...(how.retryNum !== undefined ? { retryAttempt: how.retryNum } : {}),
        ...(how.retryReason !== undefined ? { retryReason: how.retryReason } : {}),
      });
      const body = ack.payload !== undefined && Object.keys(ack.payload).length > 0 ? ack.payload : undefined;
      return {
        transport: 'socket',
        status: 200,
        headers: {},
        text: body === undefined ? '' : JSON.stringify(body),
        body,
        sent: payload,
        envelopeId: ack.envelope_id,
        responses: new ResponseUrlInbox(this, responseUrl),
      };
    }
    const url = this.requireRequestUrl();
    const [rawBody, contentType] =
      type === 'events_api'
        ? [JSON.stringify(payload), 'application/json']
        : [formEncode(how.form ?? { payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded'];
    const retryHeaders: Record<string, string> = {
      ...(how.retryNum !== undefined ? { 'x-slack-retry-num': String(how.retryNum) } : {}),
      ...(how.retryReason !== undefined ? { 'x-slack-retry-reason': how.retryReason } : {}),
    };
    const reply = await postToApp(url, rawBody, contentType, this.signing(send), { ...retryHeaders, ...send.headers }, this.timeoutMs);
    return this.httpReply(reply, payload, responseUrl);
  }

  private httpReply(reply: { status: number; headers: IncomingHttpHeaders; text: string }, sent: Record<string, unknown>, responseUrl: ResponseUrlRecord | undefined): AppReply {
    let body: unknown;
    if (reply.text !== '') {
      const isJson = String(reply.headers['content-type'] ?? '').includes('application/json');
      try {
        body = isJson ? JSON.parse(reply.text) : reply.text;
      } catch {
        body = reply.text;
      }
    }
    return { transport: 'http', status: reply.status, headers: reply.headers, text: reply.text, body, sent, responses: new ResponseUrlInbox(this, responseUrl) };
  }

  private async deliverEvent(
    envelope: Record<string, unknown>,
    eventId: string,
    retryNum: number | undefined,
    retryReason: string | undefined,
    send: SendOptions,
  ): Promise<EventDelivery> {
    const reply = await this.deliver(
      'events_api',
      envelope,
      {
        acceptsResponsePayload: false,
        ...(retryNum !== undefined ? { retryNum } : {}),
        ...(retryReason !== undefined ? { retryReason } : {}),
      },
      send,
      undefined,
    );
    return {
      ...reply,
      eventId,
      retry: (options = {}) =>
        this.deliverEvent(envelope, eventId, options.retryNum ?? (retryNum ?? 0) + 1, options.retryReason ?? retryReason ?? 'http_timeout', send),
    };
  }

  /** Slack shows a slash command's ack body to the user: ephemeral unless `response_type: 'in_channel'`. */
  private showCommandAck(body: unknown, channel: StandInChannel, userId: string): void {
    if (typeof body === 'string' && body !== '') {
      this.workspace.addMessage(channel, { text: body }, { visibleTo: userId, via: 'ack' });
      return;
    }
    if (typeof body !== 'object' || body === null) return;
    const ack = body as Record<string, unknown>;
    const text = typeof ack.text === 'string' ? ack.text : '';
    const blocks = Array.isArray(ack.blocks) ? (ack.blocks as Record<string, unknown>[]) : undefined;
    if (text === '' && blocks === undefined) return;
    this.workspace.addMessage(
      channel,
      { text, ...(blocks !== undefined ? { blocks } : {}) },
      { via: 'ack', ...(ack.response_type === 'in_channel' ? {} : { visibleTo: userId }) },
    );
  }

  private findViewFor(userId: string, which: NonNullable<BlockActionInput['view']>): StandInView {
    if (which === 'home') {
      const home = this.workspace.homeViews.get(userId);
      if (home === undefined) throw new Error(`Slack stand-in: ${userId} has no published App Home view`);
      return home;
    }
    if (which === 'modal') {
      const top = this.workspace.modalStack(userId).at(-1);
      if (top === undefined) throw new Error(`Slack stand-in: ${userId} has no open modal`);
      return top;
    }
    const view = this.workspace.viewById(which.id);
    if (view === undefined) throw new Error(`Slack stand-in: no view ${which.id}`);
    return view;
  }

  private applyViewAck(userId: string, view: StandInView, body: unknown): void {
    const stack = this.workspace.modalStack(userId);
    const ack = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const index = stack.findIndex((v) => v.id === view.id);
    switch (ack.response_action) {
      case 'errors':
        view.errors = (ack.errors ?? {}) as Record<string, string>;
        return;
      case 'update':
        if (typeof ack.view === 'object' && ack.view !== null && index >= 0) {
          stack[index] = this.workspace.storeView(userId, ack.view as Record<string, unknown>, view);
        }
        return;
      case 'push':
        if (typeof ack.view === 'object' && ack.view !== null) {
          const pushed = this.workspace.storeView(userId, ack.view as Record<string, unknown>);
          pushed.rootViewId = view.rootViewId;
          pushed.previousViewId = view.id;
          stack.push(pushed);
        }
        return;
      case 'clear':
        stack.length = 0;
        return;
      default:
        if (index >= 0) stack.splice(index, 1);
    }
  }
}

/** A JSON object from a request body; undefined for anything else. */
function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a stand-in on 127.0.0.1 (ephemeral port). Remember `await slack.close()`. */
export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  return new SlackStandIn(options).listen(options.port ?? 0);
}
