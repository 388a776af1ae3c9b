/**
 * The sandbox page's HTTP routes, served by the bot on its own port next to /leads and /healthz:
 * the page and its assets, the workspace as one person sees it (`/sandbox/state`), live updates as
 * server-sent events (`/sandbox/events`), and what a Slack client would do for the person using the
 * page: click an element (`/sandbox/action` → a signed `block_actions`), type a slash command
 * (`/sandbox/command` → a signed slash-command post), open the App Home (`/sandbox/home` → an
 * `app_home_opened` event). The bot answers those through exactly the code it runs against Slack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { HttpRoute } from '../adapters/http/httpRoutes.ts';
import { readBody, sendJson } from '../adapters/http/httpIo.ts';
import { packageRoot } from '../adapters/packageRoot.ts';
import { describeZodIssues } from '../config/zodIssues.ts';
import { sandboxSnapshot, type SandboxDirectory } from './sandboxView.ts';
import type { AppReply, SlackStandIn } from './slackStandIn.ts';
import { sampleLeads } from './sampleLeads.ts';
import { isSamplePreset, SAMPLE_PAYLOAD_FILES } from './sampleHooks.ts';

export interface SandboxInfo {
  /** The config file in use, as given. */
  config: string;
  /** Shown on the page: "claim within 1m (shortened for the sandbox)". */
  sla: string;
  webhookSecret: string;
}

/** The config's lead sources as the page shows them, and the sending of a provider's sample to one. */
export interface SandboxHooks {
  sources: { id: string; preset: string; secret_env: string; secret: string }[];
  /** Sends the documented sample of `preset` to the first source with that preset; undefined when there is none. */
  send(preset: string): Promise<{ status: number; body: unknown }> | undefined;
}

export interface SandboxRoutesOptions {
  slack: SlackStandIn;
  directory: SandboxDirectory;
  info: SandboxInfo;
  now: () => number;
  hooks?: SandboxHooks;
}

// From the package root, so that the compiled bot (dist/src/…) finds them too: the page's files are
// served from the source tree, which ships with the package.
const WEB = join(packageRoot(), 'src', 'sandbox', 'web');
const MANIFEST = join(packageRoot(), 'manifest.yml');

interface CommandHint {
  command: string;
  description: string;
  usage: string;
}

/** The slash commands as manifest.yml declares them: the page offers the same commands Slack would. */
export function manifestCommands(): CommandHint[] {
  const manifest = parseYaml(readFileSync(MANIFEST, 'utf8')) as { features?: { slash_commands?: { command: string; description?: string; usage_hint?: string }[] } };
  return (manifest.features?.slash_commands ?? []).map((c) => ({ command: c.command, description: c.description ?? '', usage: c.usage_hint ?? '' }));
}

/**
 * What Slack's client sends for a command declared with `should_escape: true`: a member named with
 * `@` becomes `<@U0BOB|bob>`, whether typed as their handle (`@bob`) or as the display or full name
 * that Slack's autocomplete inserts, spaces included (`@Bob Example`); the longest name that matches
 * wins, so `@Bob Example` is never `@Bob` followed by the word "Example". Anything else is left as
 * typed.
 */
export function escapeCommandText(text: string, slack: SlackStandIn): string {
  const names = [...slack.workspace.users.values()]
    .filter((user) => !user.isBot && !user.deleted)
    .flatMap((user) => [user.displayName, user.realName, user.name].filter((name) => name.trim() !== '').map((name) => ({ name: name.toLowerCase(), user })))
    .sort((a, b) => b.name.length - a.name.length);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const atWordStart = text[i] === '@' && (i === 0 || /\s/.test(text[i - 1] ?? ''));
    const rest = atWordStart ? text.slice(i + 1).toLowerCase() : '';
    // A name ends where the text does, at white space or at punctuation after it.
    const match = atWordStart ? names.find(({ name }) => rest.startsWith(name) && /^(?:$|[\s.,;:!?)])/.test(rest.slice(name.length))) : undefined;
    if (match) {
      out += `<@${match.user.id}|${match.user.name}>`;
      i += 1 + match.name.length;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** The live-update stream: one `change` event per workspace change (coalesced), and a heartbeat. */
export class SandboxEvents {
  /** Each open stream, with the version it was last sent. */
  private readonly clients = new Map<ServerResponse, number>();
  private version = 0;
  private pending: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(slack: SlackStandIn) {
    slack.onChange(() => this.changed());
    this.heartbeat = setInterval(() => {
      for (const res of this.clients.keys()) res.write(': keep-alive\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.clients.size;
  }

  /** Many Slack calls in a burst (10 sample leads) become one refresh on the page. */
  private changed(): void {
    this.version += 1;
    if (this.pending !== undefined) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      // A stream opened after the change was sent its version on opening: not again.
      for (const [res, sent] of this.clients) {
        if (sent >= this.version) continue;
        res.write(`event: change\ndata: ${this.version}\n\n`);
        this.clients.set(res, this.version);
      }
    }, 25);
  }

  handler = (req: IncomingMessage, res: ServerResponse): void => {
    // Shutting down: a stream opened now would keep the server from closing.
    if (this.closed) return sendJson(res, 503, { error: 'shutting_down' });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 1000\nevent: change\ndata: ${this.version}\n\n`);
    this.clients.set(res, this.version);
    req.on('close', () => this.clients.delete(res));
  };

  /** Ends every stream, so the server can close. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.pending !== undefined) clearTimeout(this.pending);
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
  }
}

const actionRequest = z.strictObject({
  as: z.string().min(1),
  actionId: z.string().min(1),
  blockId: z.string().optional(),
  /** A message: its conversation and ts; or the App Home. */
  channel: z.string().optional(),
  ts: z.string().optional(),
  view: z.literal('home').optional(),
  kind: z.enum(['button', 'users_select', 'static_select', 'overflow']).default('button'),
  value: z.string().optional(),
  text: z.string().optional(),
});

const commandRequest = z.strictObject({
  as: z.string().min(1),
  /** Where it is typed; default the person's DM with the bot. */
  channel: z.string().optional(),
  text: z.string(),
});

const homeRequest = z.strictObject({ as: z.string().min(1) });
const closeModalRequest = z.strictObject({ as: z.string().min(1) });

const hookSampleRequest = z.strictObject({ preset: z.string().min(1) });

async function readJson<T>(req: IncomingMessage, res: ServerResponse, schema: z.ZodType<T>): Promise<T | undefined> {
  const body = await readBody(req, 64 * 1024);
  if (!body.ok) {
    sendJson(res, body.reason === 'too_large' ? 413 : 400, { error: body.reason });
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.body.toString('utf8'));
  } catch {
    sendJson(res, 400, { error: 'invalid_json' });
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    sendJson(res, 400, { error: 'invalid_request', details: describeZodIssues(parsed.error.issues).map((i) => `${i.path || '(body)'}: ${i.message}`) });
    return undefined;
  }
  return parsed.data;
}

/** The app's answer to an interaction, as the page needs it. */
function replyJson(reply: AppReply) {
  return { status: reply.status, body: reply.body ?? null };
}

function staticFile(name: string, type: string): HttpRoute['handler'] {
  return (_req, res) => {
    // Read on each request: the files are small, and an edited page shows up on reload.
    const body = readFileSync(join(WEB, name));
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
    res.end(body);
  };
}

export function sandboxRoutes(options: SandboxRoutesOptions, events: SandboxEvents): HttpRoute[] {
  const { slack, directory } = options;
  const known = (id: string) => directory.people.some((p) => p.id === id);
  const commands = manifestCommands();
  return [
    { method: 'GET', path: '/', handler: staticFile('index.html', 'text/html; charset=utf-8') },
    { method: 'GET', path: '/sandbox/app.js', handler: staticFile('app.js', 'text/javascript; charset=utf-8') },
    { method: 'GET', path: '/sandbox/app.css', handler: staticFile('app.css', 'text/css; charset=utf-8') },
    {
      method: 'GET',
      path: '/sandbox/info',
      handler: (_req, res) => sendJson(res, 200, { ...options.info, commands, samples: sampleLeads(), sources: options.hooks?.sources ?? [] }),
    },
    {
      method: 'GET',
      path: '/sandbox/state',
      handler: (req, res) => {
        const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
        sendJson(res, 200, sandboxSnapshot(slack.workspace, directory, query.get('as') ?? undefined, query.get('open') ?? undefined, options.now()), { 'cache-control': 'no-cache' });
      },
    },
    { method: 'GET', path: '/sandbox/events', handler: events.handler },
    {
      method: 'POST',
      path: '/sandbox/action',
      handler: async (req, res) => {
        const input = await readJson(req, res, actionRequest);
        if (input === undefined) return;
        if (!known(input.as)) return sendJson(res, 400, { error: `unknown person ${input.as}` });
        const where = input.view === 'home' ? { view: 'home' as const } : input.channel !== undefined && input.ts !== undefined ? { message: { channel: input.channel, ts: input.ts } } : undefined;
        if (where === undefined) return sendJson(res, 400, { error: 'give channel and ts of the message, or view: "home"' });
        const selection =
          input.kind === 'users_select'
            ? { selectedUser: input.value ?? '' }
            : input.kind === 'static_select' || input.kind === 'overflow'
              ? { selectedOption: { value: input.value ?? '', ...(input.text !== undefined ? { text: input.text } : {}) } }
              : input.value !== undefined
                ? { value: input.value }
                : {};
        try {
          const reply = await slack.blockAction({ userId: input.as, actionId: input.actionId, ...where, ...(input.blockId !== undefined ? { blockId: input.blockId } : {}), ...selection, elementType: input.kind });
          sendJson(res, 200, replyJson(reply));
        } catch (error) {
          // The element is gone (the card changed under the click): an expected outcome, not an
          // HTTP error (a browser would log that in the console); the page refreshes and says so.
          sendJson(res, 200, { changed: true, error: (error as Error).message });
        }
      },
    },
    {
      method: 'POST',
      path: '/sandbox/command',
      handler: async (req, res) => {
        const input = await readJson(req, res, commandRequest);
        if (input === undefined) return;
        if (!known(input.as)) return sendJson(res, 400, { error: `unknown person ${input.as}` });
        const match = /^\s*(\/[a-z0-9_-]+)\s*([\s\S]*)$/i.exec(input.text);
        const command = match?.[1]?.toLowerCase();
        if (match === null || command === undefined) return sendJson(res, 400, { error: 'type a slash command, e.g. /away 1h' });
        if (!commands.some((c) => c.command === command)) {
          return sendJson(res, 400, { error: `${command} is not a command of this app. Try ${commands.map((c) => c.command).join(', ')}.` });
        }
        const reply = await slack.slashCommand({ command, text: escapeCommandText((match[2] ?? '').trim(), slack), userId: input.as, ...(input.channel !== undefined ? { channelId: input.channel } : {}) });
        sendJson(res, 200, replyJson(reply));
      },
    },
    {
      method: 'POST',
      path: '/sandbox/close-modal',
      handler: async (req, res) => {
        const input = await readJson(req, res, closeModalRequest);
        if (input === undefined) return;
        if (!known(input.as)) return sendJson(res, 400, { error: `unknown person ${input.as}` });
        const closed = slack.closeModal(input.as);
        sendJson(res, 200, { closed: closed?.id ?? null });
      },
    },
    {
      method: 'POST',
      path: '/sandbox/hook-sample',
      handler: async (req, res) => {
        const input = await readJson(req, res, hookSampleRequest);
        if (input === undefined) return;
        if (!isSamplePreset(input.preset)) return sendJson(res, 400, { error: `no sample for ${input.preset} (samples: ${Object.keys(SAMPLE_PAYLOAD_FILES).join(', ')})` });
        const sent = options.hooks?.send(input.preset);
        if (sent === undefined) return sendJson(res, 400, { error: `no ${input.preset} source in this config (see sources: in ${options.info.config})` });
        sendJson(res, 200, await sent);
      },
    },
    {
      method: 'POST',
      path: '/sandbox/home',
      handler: async (req, res) => {
        const input = await readJson(req, res, homeRequest);
        if (input === undefined) return;
        if (!known(input.as)) return sendJson(res, 400, { error: `unknown person ${input.as}` });
        const reply = await slack.event({ type: 'app_home_opened', user: input.as, tab: 'home' });
        sendJson(res, 200, replyJson(reply));
      },
    },
  ];
}
