/**
 * What Slack sends to an app, byte for byte where it matters: slash commands as
 * `application/x-www-form-urlencoded` fields, interactions as a single `payload=<JSON>` form field,
 * Events API callbacks as `application/json` envelopes, all signed with `X-Slack-Signature` /
 * `X-Slack-Request-Timestamp` (and `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` on retries).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { findElement } from './slackBlocks.ts';
import { slackSignatureHeaders } from './slackSigning.ts';
import type { StandInChannel, StandInMessage, StandInUser, StandInView, StandInWorkspace } from './slackWorkspace.ts';

/** A slash command typed by a user. */
export interface SlashCommandInput {
  /** With the slash: `/away`. */
  command: string;
  text?: string;
  userId: string;
  /** Where it was typed; default: the user's DM with the bot. */
  channelId?: string;
  channelName?: string;
}

/** A click (or selection) on an interactive element the bot rendered. */
export interface BlockActionInput {
  userId: string;
  actionId: string;
  /** The message holding the element; `channel` may be a user id (their DM with the bot). */
  message?: { channel: string; ts: string };
  /** Or a view holding it: the user's App Home, their top modal, or a view id. */
  view?: 'home' | 'modal' | { id: string };
  /** Override what the element found in the blocks says. */
  blockId?: string;
  value?: string;
  /** For a `users_select`: the chosen user. */
  selectedUser?: string;
  /** For a `static_select` / `overflow`: the chosen option. */
  selectedOption?: { value: string; text?: string };
  /** Element type when it can't be read from the blocks (default `button`). */
  elementType?: string;
  /**
   * Default true: the element must exist in the current message/view, so a test can only click what
   * the bot actually shows. Set false to simulate a click on a stale copy (e.g. another client).
   */
  requireElement?: boolean;
  /** `state.values` of the surface (input values), in Slack's shape. */
  stateValues?: Record<string, Record<string, unknown>>;
}

/**
 * Values of a modal's inputs: `{ blockId: { actionId: 'text' } }` (plain_text_input) or Slack's full
 * shape `{ blockId: { actionId: { type: 'users_select', selected_user: 'U…' } } }`.
 */
export type ViewValuesInput = Record<string, Record<string, string | Record<string, unknown>>>;

export interface ViewSubmissionInput {
  userId: string;
  /** Finds the user's open modal with this callback_id (or made up when none is open). */
  callbackId?: string;
  viewId?: string;
  values?: ViewValuesInput;
  /** Overrides the stored view's private_metadata. */
  privateMetadata?: string;
}

/** Options for an Events API delivery. */
export interface EventOptions {
  /** Sends `X-Slack-Retry-Num` (HTTP) / `retry_attempt` (Socket Mode). */
  retryNum?: number;
  /** `http_timeout`, `http_error`, `connection_failed`, `ssl_error`, `too_many_redirects`, `unknown_error`. */
  retryReason?: string;
  /** Reuse an earlier delivery's id to model a retry of the same event. */
  eventId?: string;
  /** Unix seconds; default now. */
  eventTime?: number;
}

/** Per-request tweaks, mainly to test the app's request verification. */
export interface SendOptions {
  /** Sign with this secret instead of the stand-in's. */
  signingSecret?: string;
  /** Unix seconds for `X-Slack-Request-Timestamp` (default: the stand-in's clock). */
  timestamp?: number;
  /** Send this exact `X-Slack-Signature`. */
  signature?: string;
  /** Extra or replacement headers. */
  headers?: Record<string, string>;
}

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface AppIdentity {
  appId: string;
  teamId: string;
  teamDomain: string;
  /** The deprecated verification `token` Slack still includes in payloads. */
  verificationToken: string;
  botUserId: string;
}

/** POSTs a signed request to the app, as Slack does (fresh connection, no keep-alive). */
export function postToApp(
  url: string,
  rawBody: string,
  contentType: string,
  signing: { secret: string; timestampSeconds: number; signature?: string },
  extraHeaders: Record<string, string>,
  timeoutMs: number,
): Promise<HttpReply> {
  const target = new URL(url);
  if (target.protocol !== 'http:') return Promise.reject(new Error(`Slack stand-in only posts to http: URLs, got ${url}`));
  const signed = slackSignatureHeaders(signing.secret, signing.timestampSeconds, rawBody);
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(rawBody),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    accept: 'application/json,*/*',
    ...signed,
    ...(signing.signature !== undefined ? { 'x-slack-signature': signing.signature } : {}),
    ...extraHeaders,
  };
  return new Promise<HttpReply>((resolve, reject) => {
    const req = httpRequest(
      { hostname: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`Slack stand-in: the app did not answer ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(rawBody);
  });
}

/** Form fields of a slash command request. */
export function slashCommandFields(
  app: AppIdentity,
  user: StandInUser,
  input: SlashCommandInput,
  channel: { id: string; name: string },
  responseUrl: string,
  triggerId: string,
): Record<string, string> {
  return {
    token: app.verificationToken,
    team_id: app.teamId,
    team_domain: app.teamDomain,
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user.id,
    user_name: user.name,
    command: input.command,
    text: input.text ?? '',
    api_app_id: app.appId,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  };
}

export function formEncode(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function userRef(app: AppIdentity, user: StandInUser): Record<string, unknown> {
  return { id: user.id, username: user.name, name: user.name, team_id: app.teamId };
}

function actionTs(ws: StandInWorkspace): string {
  const ms = ws.clock.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

/** Builds the `actions[0]` entry from the element found in the surface (or from the input alone). */
function buildAction(
  ws: StandInWorkspace,
  input: BlockActionInput,
  blocks: readonly Record<string, unknown>[] | undefined,
  where: string,
): Record<string, unknown> {
  const found = findElement(blocks, input.actionId);
  if (found === undefined && input.requireElement !== false) {
    const present = (blocks ?? [])
      .flatMap((b) => [...(Array.isArray(b.elements) ? b.elements : []), b.accessory, b.element])
      .map((el) => (typeof el === 'object' && el !== null ? (el as Record<string, unknown>).action_id : undefined))
      .filter((id): id is string => typeof id === 'string');
    throw new Error(
      `Slack stand-in: ${where} has no element with action_id '${input.actionId}' (it has: ${present.join(', ') || 'none'}). ` +
        'Pass requireElement: false to click a stale copy.',
    );
  }
  const element = found?.element ?? {};
  const type = input.elementType ?? (typeof element.type === 'string' ? element.type : input.selectedUser !== undefined ? 'users_select' : input.selectedOption !== undefined ? 'static_select' : 'button');
  const action: Record<string, unknown> = {
    action_id: input.actionId,
    block_id: input.blockId ?? found?.blockId ?? 'standin_block',
    type,
    action_ts: actionTs(ws),
  };
  if (type === 'button') {
    action.text = element.text ?? { type: 'plain_text', text: input.actionId, emoji: true };
    const value = input.value ?? (typeof element.value === 'string' ? element.value : undefined);
    if (value !== undefined) action.value = value;
    if (typeof element.style === 'string') action.style = element.style;
  } else if (input.selectedUser !== undefined || type === 'users_select') {
    action.selected_user = input.selectedUser ?? null;
    if (element.placeholder !== undefined) action.placeholder = element.placeholder;
  } else if (input.selectedOption !== undefined) {
    const options = Array.isArray(element.options) ? (element.options as Record<string, unknown>[]) : [];
    const known = options.find((o) => o.value === input.selectedOption?.value);
    action.selected_option = known ?? {
      text: { type: 'plain_text', text: input.selectedOption.text ?? input.selectedOption.value, emoji: true },
      value: input.selectedOption.value,
    };
  } else if (input.value !== undefined) {
    action.value = input.value;
  }
  return action;
}

/** The `block_actions` payload for a click on a message. */
export function messageBlockActionsPayload(
  ws: StandInWorkspace,
  app: AppIdentity,
  user: StandInUser,
  input: BlockActionInput,
  channel: StandInChannel,
  message: StandInMessage | undefined,
  messageTs: string,
  responseUrl: string,
  triggerId: string,
): Record<string, unknown> {
  const isEphemeral = message?.kind === 'ephemeral';
  const action = buildAction(ws, input, message?.blocks, `message ${messageTs} in ${channel.id}`);
  return {
    type: 'block_actions',
    user: userRef(app, user),
    api_app_id: app.appId,
    token: app.verificationToken,
    container: {
      type: 'message',
      message_ts: messageTs,
      channel_id: channel.id,
      is_ephemeral: isEphemeral,
      ...(message?.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    },
    trigger_id: triggerId,
    team: { id: app.teamId, domain: app.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.name },
    // Slack does not send the message for ephemeral messages.
    ...(message !== undefined && !isEphemeral ? { message: ws.toApiMessage(message) } : {}),
    state: { values: input.stateValues ?? {} },
    response_url: responseUrl,
    actions: [action],
  };
}

/** The `block_actions` payload for a click in a view (App Home or a modal): no response_url. */
export function viewBlockActionsPayload(
  ws: StandInWorkspace,
  app: AppIdentity,
  user: StandInUser,
  input: BlockActionInput,
  view: StandInView,
  triggerId: string,
): Record<string, unknown> {
  const blocks = view.definition.blocks as Record<string, unknown>[] | undefined;
  const action = buildAction(ws, input, blocks, `${view.type} view ${view.id}`);
  return {
    type: 'block_actions',
    user: userRef(app, user),
    api_app_id: app.appId,
    token: app.verificationToken,
    container: { type: 'view', view_id: view.id },
    trigger_id: triggerId,
    team: { id: app.teamId, domain: app.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    view: ws.toApiView(view, input.stateValues ?? {}),
    actions: [action],
  };
}

/** Slack's `state.values` from the compact test shape. */
export function stateValues(values: ViewValuesInput | undefined): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [blockId, actions] of Object.entries(values ?? {})) {
    out[blockId] = {};
    for (const [actionId, value] of Object.entries(actions)) {
      (out[blockId] as Record<string, unknown>)[actionId] = typeof value === 'string' ? { type: 'plain_text_input', value } : value;
    }
  }
  return out;
}

export function viewSubmissionPayload(
  ws: StandInWorkspace,
  app: AppIdentity,
  user: StandInUser,
  view: StandInView,
  values: Record<string, Record<string, unknown>>,
  triggerId: string,
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: app.teamId, domain: app.teamDomain },
    user: userRef(app, user),
    api_app_id: app.appId,
    token: app.verificationToken,
    trigger_id: triggerId,
    view: ws.toApiView(view, values),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** The Events API `event_callback` envelope. */
export function eventCallbackEnvelope(
  app: AppIdentity,
  event: Record<string, unknown>,
  eventId: string,
  eventTime: number,
): Record<string, unknown> {
  return {
    token: app.verificationToken,
    team_id: app.teamId,
    context_team_id: app.teamId,
    context_enterprise_id: null,
    api_app_id: app.appId,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: eventTime,
    authorizations: [
      { enterprise_id: null, team_id: app.teamId, user_id: app.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(JSON.stringify({ team: app.teamId, app: app.appId, event: eventId })).toString('base64url')}`,
  };
}
