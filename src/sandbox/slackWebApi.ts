/**
 * The stand-in's Web API (`POST /api/<method>`) and response_url endpoint: parses requests the way
 * Slack does (form-urlencoded or JSON, token from `Authorization: Bearer` or the form), answers like
 * Slack (`{ ok: true, … }` / `{ ok: false, error }`, 429 + Retry-After, 5xx), records every call, and
 * lets tests inject faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { blockProblems, viewProblems } from './slackBlocks.ts';
import type { RateLimiter } from './slackRateLimits.ts';
import {
  timeZoneInfo,
  type MessageContent,
  type MessageMetadata,
  type ResponseUrlRecord,
  type StandInChannel,
  type StandInMessage,
  type StandInUser,
  type StandInWorkspace,
} from './slackWorkspace.ts';

export type ApiArgs = Record<string, unknown>;

/** One Web API request the stand-in answered. */
export interface ApiCall {
  method: string;
  /** Arguments from the body (and query), without `token`; JSON-string fields (blocks, view, metadata…) decoded. */
  args: ApiArgs;
  /** The token sent (Authorization header, or `token` in a form body). */
  token: string | undefined;
  /** Clock time (ms) when answered. */
  at: number;
  /** HTTP status answered. */
  status: number;
  /** The JSON body answered. */
  response: Record<string, unknown>;
  /** `status === 200 && response.ok === true`. */
  ok: boolean;
  /** Answered by a fault registered with `fail()`. */
  injected: boolean;
  /** Refused with 429 because it went over Slack's rate limit (stand-in option `rateLimits: 'enforce'`). */
  overLimit: boolean;
}

/**
 * A failure to answer with instead of the real result:
 * - `{ status: 429, retryAfter: 1 }`: rate limited (`Retry-After` header, body `{ok:false,error:'ratelimited'}`);
 * - `{ status: 500 }` (any non-200): an HTTP error;
 * - `{ error: 'channel_not_found' }`: HTTP 200 with `{ ok: false, error }` (plus `extra` fields);
 * - `{ network: 'reset' }`: the connection is destroyed without an answer;
 * - `{ delayMs: 500 }`: the call is carried out at once, its answer held back that long (Slack has
 *   the message while the app cannot know it yet).
 */
export type StandInFault =
  | { status: number; retryAfter?: number; error?: string }
  | { error: string; extra?: Record<string, unknown> }
  | { network: 'reset' }
  | { delayMs: number };

export interface FaultOptions {
  /** How many matching calls fail (default 1; `Infinity` until cleared). */
  times?: number;
  /** Only calls whose args match fail. */
  when?: (args: ApiArgs) => boolean;
}

export interface FaultHandle {
  /** Calls answered by this fault so far. */
  readonly hits: number;
  readonly remaining: number;
  clear(): void;
}

/** A handler for a method the stand-in lacks (or to replace one): returns the JSON body to answer. */
export type CustomMethodHandler = (args: ApiArgs, call: { token: string | undefined }) => Record<string, unknown>;

interface ApiResult {
  status?: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface FaultRule {
  method: string;
  fault: StandInFault;
  remaining: number;
  hits: number;
  when?: (args: ApiArgs) => boolean;
}

type TokenType = 'bot' | 'app';

interface MethodSpec {
  token: TokenType;
  run: (args: ApiArgs) => ApiResult;
}

export interface WebApiOptions {
  workspace: StandInWorkspace;
  botToken: string;
  appToken: string;
  teamName: string;
  /** Mints a Socket Mode URL for apps.connections.open (undefined when Socket Mode is off). */
  issueSocketUrl: () => string | undefined;
  /** How long a trigger_id stays valid for views.open/push (Slack: 3 s). */
  triggerTtlMs: number;
  /** Called after every recorded change (for waiters). */
  onChange: () => void;
  /** Refuses calls over Slack's rate limits with 429 (see slackRateLimits.ts); absent: no limits. */
  rateLimiter?: RateLimiter;
}

/** Fields the Web API client JSON-encodes inside form bodies; the stand-in decodes them back. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view', 'unfurls', 'user_auth_blocks']);
const MAX_BODY_BYTES = 5 * 1024 * 1024;

const ok = (body: Record<string, unknown> = {}): ApiResult => ({ body: { ok: true, ...body } });
const err = (error: string, extra: Record<string, unknown> = {}): ApiResult => ({ body: { ok: false, error, ...extra } });
const withMessages = (error: string, problems: string[]): ApiResult =>
  err(error, { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });

function str(args: ApiArgs, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function bool(args: ApiArgs, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error(`request body over ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The stand-in's Web API: method handlers, call log, fault injection. */
export class SlackWebApi {
  readonly calls: ApiCall[] = [];
  private faults: FaultRule[] = [];
  private readonly custom = new Map<string, CustomMethodHandler>();
  private readonly methods: Record<string, MethodSpec>;

  constructor(private readonly options: WebApiOptions) {
    this.methods = this.buildMethods();
  }

  private get ws(): StandInWorkspace {
    return this.options.workspace;
  }

  /** Makes the next `times` calls to `method` (matching `when`) fail with `fault`. */
  fail(method: string, fault: StandInFault, { times = 1, when }: FaultOptions = {}): FaultHandle {
    const rule: FaultRule = { method, fault, remaining: times, hits: 0, ...(when !== undefined ? { when } : {}) };
    this.faults.push(rule);
    return {
      get hits() {
        return rule.hits;
      },
      get remaining() {
        return rule.remaining;
      },
      clear: () => {
        this.faults = this.faults.filter((r) => r !== rule);
      },
    };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Answers `method` with `handler` instead of the built-in behaviour (or adds a method the stand-in lacks). */
  handle(method: string, handler: CustomMethodHandler): void {
    this.custom.set(method, handler);
  }

  /** Serves `POST|GET /api/<method>`. */
  async serve(req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      sendJson(res, 413, { ok: false, error: 'request_too_large' });
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const args: ApiArgs = Object.fromEntries(query.entries());
    let bodyToken: string | undefined;
    let parseError: string | undefined;
    if (raw.length > 0) {
      if (contentType === 'application/json') {
        try {
          const parsed: unknown = JSON.parse(raw);
          if (isObject(parsed)) Object.assign(args, parsed);
          else parseError = 'invalid_json';
        } catch {
          parseError = 'invalid_json';
        }
        // Slack ignores a token inside a JSON body: it must come in the Authorization header.
        delete args.token;
      } else if (contentType === 'application/x-www-form-urlencoded' || contentType === '') {
        const form = parseQuery(raw);
        for (const [key, value] of Object.entries(form)) {
          args[key] = Array.isArray(value) ? value[value.length - 1] : value;
        }
        bodyToken = str(args, 'token');
      } else {
        parseError = 'invalid_form_data';
      }
    }
    if (bodyToken === undefined) bodyToken = query.get('token') ?? undefined;
    delete args.token;
    for (const key of JSON_FIELDS) {
      const value = args[key];
      if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
        try {
          args[key] = JSON.parse(value);
        } catch {
          // left as a string: the method's validation reports it
        }
      }
    }
    const auth = req.headers.authorization;
    const headerToken = auth !== undefined && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
    const token = headerToken !== undefined && headerToken !== '' ? headerToken : bodyToken;

    const fault = this.takeFault(method, args);
    if (fault !== undefined && 'network' in fault) {
      this.record(method, args, token, 0, { ok: false, error: 'network_reset' }, true);
      req.socket.destroy();
      return;
    }
    const limited = fault === undefined && parseError === undefined ? this.overLimit(method, args) : undefined;
    const { result, injected } =
      fault !== undefined && !('delayMs' in fault)
        ? { result: this.faultResult(fault), injected: true }
        : limited !== undefined
          ? { result: limited, injected: false }
          : { result: parseError !== undefined ? err(parseError) : this.answer(method, args, token), injected: fault !== undefined };
    const status = result.status ?? 200;
    this.record(method, args, token, status, result.body, injected, limited !== undefined);
    if (fault !== undefined && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    sendJson(res, status, result.body, result.headers);
  }

  /** A 429 when the call goes over Slack's rate limit for its method (and channel); undefined when within it. */
  private overLimit(method: string, args: ApiArgs): ApiResult | undefined {
    const limiter = this.options.rateLimiter;
    if (limiter === undefined) return undefined;
    const given = str(args, 'channel');
    const channel = given === undefined ? undefined : (this.ws.resolveChannelForPost(given)?.id ?? given);
    const verdict = limiter.take(method, channel, this.ws.clock.now());
    if (!verdict.over) return undefined;
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(verdict.retryAfterSeconds) } };
  }

  private record(
    method: string,
    args: ApiArgs,
    token: string | undefined,
    status: number,
    response: Record<string, unknown>,
    injected: boolean,
    overLimit = false,
  ): void {
    this.calls.push({
      method,
      args,
      token,
      at: this.ws.clock.now(),
      status,
      response,
      ok: status === 200 && response.ok === true,
      injected,
      overLimit,
    });
    this.options.onChange();
  }

  /** The fault registered for this call, if any (used up as it is taken). Also serves response URLs (method `response_url`). */
  takeFault(method: string, args: ApiArgs): StandInFault | undefined {
    for (const rule of this.faults) {
      if (rule.method !== method || rule.remaining <= 0) continue;
      if (rule.when !== undefined && !rule.when(args)) continue;
      rule.remaining -= 1;
      rule.hits += 1;
      if (rule.remaining <= 0) this.faults = this.faults.filter((r) => r !== rule);
      return rule.fault;
    }
    return undefined;
  }

  private faultResult(fault: Exclude<StandInFault, { network: 'reset' } | { delayMs: number }>): ApiResult {
    if ('status' in fault) {
      if (fault.status === 429) {
        return {
          status: 429,
          body: { ok: false, error: fault.error ?? 'ratelimited' },
          headers: { 'retry-after': String(fault.retryAfter ?? 1) },
        };
      }
      return { status: fault.status, body: { ok: false, error: fault.error ?? `http_${fault.status}` } };
    }
    return err(fault.error, fault.extra ?? {});
  }

  private answer(method: string, args: ApiArgs, token: string | undefined): ApiResult {
    const custom = this.custom.get(method);
    const spec = this.methods[method];
    if (custom === undefined && spec === undefined) return err('unknown_method', { req_method: method });
    if (token === undefined || token === '') return err('not_authed');
    const type: TokenType | undefined =
      token === this.options.botToken ? 'bot' : token === this.options.appToken ? 'app' : undefined;
    if (type === undefined) return err('invalid_auth');
    if (custom !== undefined) return { body: custom(args, { token }) };
    if (spec === undefined) return err('unknown_method', { req_method: method });
    if (spec.token !== type) return err('not_allowed_token_type');
    return spec.run(args);
  }

  // ---- methods ------------------------------------------------------------------------------------

  private buildMethods(): Record<string, MethodSpec> {
    const bot = (run: (args: ApiArgs) => ApiResult): MethodSpec => ({ token: 'bot', run });
    return {
      'auth.test': bot(() => this.authTest()),
      'apps.connections.open': {
        token: 'app',
        run: () => {
          const url = this.options.issueSocketUrl();
          // The error code is the stand-in's own: Slack has no Socket-Mode-off switch per call.
          return url === undefined ? err('socket_mode_not_enabled') : ok({ url });
        },
      },
      'chat.postMessage': bot((a) => this.postMessage(a)),
      'chat.postEphemeral': bot((a) => this.postEphemeral(a)),
      'chat.update': bot((a) => this.updateMessage(a)),
      'chat.delete': bot((a) => this.deleteMessage(a)),
      'chat.getPermalink': bot((a) => this.getPermalink(a)),
      'conversations.open': bot((a) => this.openConversation(a)),
      'conversations.info': bot((a) => this.conversationInfo(a)),
      'conversations.history': bot((a) => this.history(a)),
      'conversations.replies': bot((a) => this.replies(a)),
      'views.publish': bot((a) => this.publishView(a)),
      'views.open': bot((a) => this.openView(a)),
      'views.push': bot((a) => this.pushView(a)),
      'views.update': bot((a) => this.updateView(a)),
      'users.info': bot((a) => this.userInfo(a)),
      'users.lookupByEmail': bot((a) => this.lookupByEmail(a)),
      'users.list': bot(() => ok({ members: [...this.ws.users.values()].map((u) => this.apiUser(u)), cache_ts: Math.floor(this.ws.clock.now() / 1000), response_metadata: { next_cursor: '' } })),
    };
  }

  private authTest(): ApiResult {
    const o = this.ws.options;
    return ok({
      url: `https://${o.teamDomain}.slack.com/`,
      team: this.options.teamName,
      user: o.botName,
      team_id: o.teamId,
      user_id: o.botUserId,
      bot_id: o.botId,
      is_enterprise_install: false,
    });
  }

  /** text / blocks / attachments / metadata of a chat.* call, validated like Slack. */
  private readContent(args: ApiArgs, { requireSome = true } = {}): { content: MessageContent } | { error: ApiResult } {
    const text = str(args, 'text');
    if (args.blocks !== undefined) {
      const problems = blockProblems(args.blocks);
      if (problems.length > 0) return { error: withMessages('invalid_blocks', problems) };
    }
    if (args.attachments !== undefined && !Array.isArray(args.attachments)) return { error: err('invalid_attachments') };
    let metadata: MessageMetadata | undefined;
    if (args.metadata !== undefined) {
      const m = args.metadata;
      if (!isObject(m) || typeof m.event_type !== 'string' || m.event_type === '' || !isObject(m.event_payload)) {
        return { error: err('invalid_metadata_format') };
      }
      metadata = { event_type: m.event_type, event_payload: m.event_payload };
    }
    const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
    const hasAttachments = Array.isArray(args.attachments) && args.attachments.length > 0;
    if (requireSome && (text === undefined || text === '') && !hasBlocks && !hasAttachments) return { error: err('no_text') };
    if (text !== undefined && text.length > 40_000) return { error: err('msg_too_long') };
    return {
      content: {
        text: text ?? '',
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks as Record<string, unknown>[] } : {}),
        ...(Array.isArray(args.attachments) ? { attachments: args.attachments } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
      },
    };
  }

  private postMessage(args: ApiArgs): ApiResult {
    const channel = this.channelForPost(args);
    if (channel === undefined) return err('channel_not_found');
    const read = this.readContent(args);
    if ('error' in read) return read.error;
    const threadTs = str(args, 'thread_ts');
    const message = this.ws.addMessage(channel, read.content, threadTs !== undefined && threadTs !== '' ? { threadTs } : {});
    return ok({ channel: channel.id, ts: message.ts, message: this.ws.toApiMessage(message) });
  }

  private postEphemeral(args: ApiArgs): ApiResult {
    const channel = this.channelForPost(args);
    if (channel === undefined) return err('channel_not_found');
    const userId = str(args, 'user');
    const user = userId === undefined ? undefined : this.ws.users.get(userId);
    if (user === undefined || user.deleted) return err('user_not_in_channel');
    const read = this.readContent(args);
    if ('error' in read) return read.error;
    const threadTs = str(args, 'thread_ts');
    const message = this.ws.addMessage(channel, read.content, {
      visibleTo: user.id,
      ...(threadTs !== undefined && threadTs !== '' ? { threadTs } : {}),
    });
    return ok({ message_ts: message.ts });
  }

  private updateMessage(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    if (channel === undefined) return err('channel_not_found');
    const message = this.liveMessage(channel, str(args, 'ts'));
    if (message === undefined) return err('message_not_found');
    if (message.author !== this.ws.options.botUserId) return err('cant_update_message');
    const read = this.readContent(args);
    if ('error' in read) return read.error;
    this.ws.updateMessage(message, {
      ...(args.text !== undefined ? { text: read.content.text } : {}),
      ...(read.content.blocks !== undefined ? { blocks: read.content.blocks } : {}),
      ...(read.content.attachments !== undefined ? { attachments: read.content.attachments } : {}),
      ...(read.content.metadata !== undefined ? { metadata: read.content.metadata } : {}),
    });
    return ok({ channel: channel.id, ts: message.ts, text: message.text, message: this.ws.toApiMessage(message) });
  }

  private deleteMessage(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    if (channel === undefined) return err('channel_not_found');
    const message = this.liveMessage(channel, str(args, 'ts'));
    if (message === undefined) return err('message_not_found');
    if (message.author !== this.ws.options.botUserId) return err('cant_delete_message');
    message.deleted = true;
    return ok({ channel: channel.id, ts: message.ts });
  }

  private getPermalink(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    if (channel === undefined) return err('channel_not_found');
    const message = this.liveMessage(channel, str(args, 'message_ts'));
    if (message === undefined) return err('message_not_found');
    const base = `https://${this.ws.options.teamDomain}.slack.com/archives/${channel.id}/p${message.ts.replace('.', '')}`;
    const permalink = message.kind === 'reply' && message.threadTs !== undefined ? `${base}?thread_ts=${message.threadTs}&cid=${channel.id}` : base;
    return ok({ channel: channel.id, permalink });
  }

  private openConversation(args: ApiArgs): ApiResult {
    const existing = str(args, 'channel');
    if (existing !== undefined) {
      const channel = this.ws.resolveConversation(existing);
      return channel === undefined ? err('channel_not_found') : ok({ channel: this.apiChannel(channel, false) });
    }
    const raw = args.users;
    const ids = (Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : [])
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length === 0) return err('users_list_not_supplied');
    for (const id of ids) {
      const user = this.ws.users.get(id);
      if (user === undefined || user.deleted) return err('user_not_found');
    }
    const returnIm = bool(args, 'return_im');
    if (ids.length === 1) {
      const id = ids[0] as string;
      const alreadyOpen = this.ws.channels.has(this.ws.dmId(id));
      const channel = this.ws.dmFor(id);
      return ok({ ...(alreadyOpen ? { no_op: true, already_open: true } : {}), channel: this.apiChannel(channel, !returnIm) });
    }
    const mpimId = `G${[...ids].sort().join('').replace(/[^A-Z0-9]/g, '').slice(0, 16)}`;
    const channel =
      this.ws.channels.get(mpimId) ??
      (() => {
        const created: StandInChannel = { id: mpimId, name: `mpdm-${ids.join('--')}`, kind: 'mpim', members: ids };
        this.ws.channels.set(mpimId, created);
        return created;
      })();
    return ok({ channel: this.apiChannel(channel, true) });
  }

  private conversationInfo(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    return channel === undefined ? err('channel_not_found') : ok({ channel: this.apiChannel(channel, false) });
  }

  private history(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    if (channel === undefined) return err('channel_not_found');
    const limit = Math.min(Math.max(Number(str(args, 'limit') ?? 100) || 100, 1), 999);
    const inclusive = bool(args, 'inclusive');
    const oldest = Number(str(args, 'oldest') ?? 0);
    const latestArg = str(args, 'latest');
    const latest = latestArg === undefined || latestArg === '' ? Number.POSITIVE_INFINITY : Number(latestArg);
    const cursor = str(args, 'cursor');
    const cursorTs = cursor !== undefined && cursor !== '' ? Buffer.from(cursor, 'base64').toString('utf8').replace(/^next_ts:/, '') : undefined;
    const includeMetadata = bool(args, 'include_all_metadata');
    const visible = this.ws
      .messagesIn(channel.id)
      .filter((m) => !m.deleted && m.kind === 'message')
      .filter((m) => {
        const ts = Number(m.ts);
        const aboveOldest = inclusive ? ts >= oldest : ts > oldest;
        const belowLatest = inclusive ? ts <= latest : ts < latest;
        return aboveOldest && belowLatest;
      })
      .sort((a, b) => Number(b.ts) - Number(a.ts))
      .filter((m) => cursorTs === undefined || Number(m.ts) <= Number(cursorTs));
    const page = visible.slice(0, limit);
    const next = visible[limit];
    return ok({
      messages: page.map((m) => this.ws.toApiMessage(m, includeMetadata)),
      has_more: next !== undefined,
      pin_count: 0,
      channel_actions_ts: null,
      channel_actions_count: 0,
      response_metadata: { next_cursor: next === undefined ? '' : Buffer.from(`next_ts:${next.ts}`).toString('base64') },
    });
  }

  private replies(args: ApiArgs): ApiResult {
    const channel = this.conversation(args, 'channel');
    if (channel === undefined) return err('channel_not_found');
    const parent = this.liveMessage(channel, str(args, 'ts'));
    if (parent === undefined) return err('thread_not_found');
    const includeMetadata = bool(args, 'include_all_metadata');
    const thread = this.ws
      .messagesIn(channel.id)
      .filter((m) => !m.deleted && m.kind === 'reply' && m.threadTs === parent.ts);
    return ok({
      messages: [parent, ...thread].map((m) => this.ws.toApiMessage(m, includeMetadata)),
      has_more: false,
      response_metadata: { next_cursor: '' },
    });
  }

  private publishView(args: ApiArgs): ApiResult {
    const userId = str(args, 'user_id');
    const user = userId === undefined ? undefined : this.ws.users.get(userId);
    if (user === undefined) return err('user_not_found');
    const problems = viewProblems(args.view, 'home');
    if (problems.length > 0) return withMessages('invalid_arguments', problems);
    const current = this.ws.homeViews.get(user.id);
    const hash = str(args, 'hash');
    if (hash !== undefined && hash !== '' && current !== undefined && hash !== current.hash) return err('hash_conflict');
    const view = this.ws.storeView(user.id, args.view as Record<string, unknown>, current);
    this.ws.homeViews.set(user.id, view);
    return ok({ view: this.ws.toApiView(view) });
  }

  private triggerUser(args: ApiArgs): { userId: string } | { error: ApiResult } {
    const triggerId = str(args, 'trigger_id') ?? str(args, 'interactivity_pointer');
    if (triggerId === undefined || triggerId === '') return { error: err('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] } }) };
    const used = this.ws.useTriggerId(triggerId, this.options.triggerTtlMs);
    return 'error' in used ? { error: err(used.error) } : used;
  }

  private openView(args: ApiArgs): ApiResult {
    const problems = viewProblems(args.view, 'modal');
    const trigger = this.triggerUser(args);
    if ('error' in trigger) return trigger.error;
    if (problems.length > 0) return withMessages('invalid_arguments', problems);
    const stack = this.ws.modalStack(trigger.userId);
    stack.length = 0;
    const view = this.ws.storeView(trigger.userId, args.view as Record<string, unknown>);
    stack.push(view);
    return ok({ view: this.ws.toApiView(view) });
  }

  private pushView(args: ApiArgs): ApiResult {
    const problems = viewProblems(args.view, 'modal');
    const trigger = this.triggerUser(args);
    if ('error' in trigger) return trigger.error;
    if (problems.length > 0) return withMessages('invalid_arguments', problems);
    const stack = this.ws.modalStack(trigger.userId);
    if (stack.length >= 3) return err('push_limit_reached');
    const below = stack[stack.length - 1];
    const view = this.ws.storeView(trigger.userId, args.view as Record<string, unknown>);
    if (below !== undefined) {
      view.rootViewId = below.rootViewId;
      view.previousViewId = below.id;
    }
    stack.push(view);
    return ok({ view: this.ws.toApiView(view) });
  }

  private updateView(args: ApiArgs): ApiResult {
    const viewId = str(args, 'view_id');
    const externalId = str(args, 'external_id');
    const current =
      viewId !== undefined && viewId !== '' ? this.ws.viewById(viewId) : externalId !== undefined ? this.ws.viewByExternalId(externalId) : undefined;
    if (current === undefined) return err('not_found');
    const problems = viewProblems(args.view, current.type);
    if (problems.length > 0) return withMessages('invalid_arguments', problems);
    const hash = str(args, 'hash');
    if (hash !== undefined && hash !== '' && hash !== current.hash) return err('hash_conflict');
    const view = this.ws.storeView(current.userId, args.view as Record<string, unknown>, current);
    if (view.type === 'home') this.ws.homeViews.set(view.userId, view);
    else {
      const stack = this.ws.modalStack(view.userId);
      const index = stack.findIndex((v) => v.id === view.id);
      if (index >= 0) stack[index] = view;
    }
    return ok({ view: this.ws.toApiView(view) });
  }

  private userInfo(args: ApiArgs): ApiResult {
    const userId = str(args, 'user');
    const user = userId === undefined ? undefined : this.ws.users.get(userId);
    return user === undefined ? err('user_not_found') : ok({ user: this.apiUser(user) });
  }

  private lookupByEmail(args: ApiArgs): ApiResult {
    const email = str(args, 'email');
    const user = email === undefined ? undefined : this.ws.userByEmail(email);
    return user === undefined || user.deleted ? err('users_not_found') : ok({ user: this.apiUser(user) });
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private channelForPost(args: ApiArgs): StandInChannel | undefined {
    const id = str(args, 'channel');
    return id === undefined || id === '' ? undefined : this.ws.resolveChannelForPost(id);
  }

  private conversation(args: ApiArgs, key: string): StandInChannel | undefined {
    const id = str(args, key);
    return id === undefined || id === '' ? undefined : this.ws.resolveConversation(id);
  }

  private liveMessage(channel: StandInChannel, ts: string | undefined): StandInMessage | undefined {
    if (ts === undefined) return undefined;
    const message = this.ws.findMessage(channel.id, ts);
    return message === undefined || message.deleted || message.kind === 'ephemeral' ? undefined : message;
  }

  private apiChannel(channel: StandInChannel, idOnly: boolean): Record<string, unknown> {
    if (idOnly) return { id: channel.id };
    return {
      id: channel.id,
      name: channel.kind === 'im' ? undefined : channel.name,
      is_channel: channel.kind === 'channel',
      is_group: false,
      is_im: channel.kind === 'im',
      is_mpim: channel.kind === 'mpim',
      is_private: channel.kind !== 'channel',
      is_archived: false,
      is_member: true,
      created: Math.floor(this.ws.clock.now() / 1000),
      ...(channel.user !== undefined ? { user: channel.user } : {}),
      context_team_id: this.ws.options.teamId,
    };
  }

  apiUser(user: StandInUser): Record<string, unknown> {
    const tz = timeZoneInfo(user.tz, this.ws.clock.now());
    const [first = '', ...rest] = user.realName.split(' ');
    const image = `https://secure.gravatar.com/avatar/${user.id}.jpg`;
    return {
      id: user.id,
      team_id: this.ws.options.teamId,
      name: user.name,
      deleted: user.deleted,
      color: '9f69e7',
      real_name: user.realName,
      tz: user.tz,
      tz_label: tz.label,
      tz_offset: tz.offsetSeconds,
      profile: {
        title: user.title,
        phone: '',
        skype: '',
        real_name: user.realName,
        real_name_normalized: user.realName,
        display_name: user.displayName,
        display_name_normalized: user.displayName,
        status_text: '',
        status_emoji: '',
        status_expiration: 0,
        avatar_hash: 'g0000000000',
        ...(user.email !== undefined ? { email: user.email } : {}),
        first_name: first,
        last_name: rest.join(' '),
        image_24: image,
        image_48: image,
        image_72: image,
        ...(user.isBot ? { bot_id: this.ws.options.botId, api_app_id: this.ws.options.appId, always_active: true } : {}),
        team: this.ws.options.teamId,
      },
      is_admin: user.isAdmin,
      is_owner: user.isOwner,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: user.isBot,
      is_app_user: false,
      updated: Math.floor(this.ws.clock.now() / 1000),
      is_email_confirmed: !user.isBot,
      who_can_share_contact_card: 'EVERYONE',
    };
  }
}

/** Slack takes at most this many posts on one response_url… */
export const RESPONSE_URL_MAX_POSTS = 5;
/** …within this long of the interaction that issued it. */
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

/**
 * What Slack does with a POST to a response_url ("up to 5 times within 30 minutes",
 * docs.slack.dev/interactivity/handling-user-interaction#message_responses): `replace_original` /
 * `delete_original` act on the message the interaction came from; otherwise the message is
 * ephemeral to the user (default) or posted in the channel (`response_type: 'in_channel'`). A URL
 * used 5 times answers 404 `used_url`, one older than 30 minutes 404 `expired_url`; neither changes
 * anything.
 */
export function applyResponseUrlPost(
  ws: StandInWorkspace,
  record: ResponseUrlRecord,
  body: Record<string, unknown>,
): { status: number; body: Record<string, unknown> } {
  if (ws.clock.now() - record.issuedAt > RESPONSE_URL_TTL_MS) return { status: 404, body: { ok: false, error: 'expired_url' } };
  if (record.posts.filter((post) => post.injected !== true).length >= RESPONSE_URL_MAX_POSTS) return { status: 404, body: { ok: false, error: 'used_url' } };
  const channel = ws.channels.get(record.channel);
  const original = record.messageTs !== undefined && channel !== undefined ? ws.findMessage(channel.id, record.messageTs) : undefined;
  if (body.delete_original === true || body.delete_original === 'true') {
    if (original === undefined) return { status: 404, body: { ok: false, error: 'message_not_found' } };
    original.deleted = true;
    return { status: 200, body: { ok: true } };
  }
  const text = typeof body.text === 'string' ? body.text : undefined;
  if (body.blocks !== undefined) {
    const problems = blockProblems(body.blocks);
    if (problems.length > 0) return { status: 400, body: { ok: false, error: 'invalid_blocks', errors: problems } };
  }
  const hasBlocks = Array.isArray(body.blocks) && body.blocks.length > 0;
  if ((text === undefined || text === '') && !hasBlocks) return { status: 400, body: { ok: false, error: 'no_text' } };
  const content: MessageContent = {
    text: text ?? '',
    ...(Array.isArray(body.blocks) ? { blocks: body.blocks as Record<string, unknown>[] } : {}),
  };
  if (body.replace_original === true || body.replace_original === 'true') {
    if (original === undefined) return { status: 404, body: { ok: false, error: 'message_not_found' } };
    ws.updateMessage(original, content);
    return { status: 200, body: { ok: true } };
  }
  if (channel === undefined) return { status: 404, body: { ok: false, error: 'channel_not_found' } };
  const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
  ws.addMessage(channel, content, {
    via: 'response_url',
    ...(body.response_type === 'in_channel' ? {} : { visibleTo: record.userId }),
    ...(threadTs !== undefined ? { threadTs } : {}),
  });
  return { status: 200, body: { ok: true } };
}

