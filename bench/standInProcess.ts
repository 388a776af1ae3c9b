/**
 * The Slack stand-in (src/sandbox) as its own process, so the bot, the floor and the load generator
 * each have theirs (as in production, Slack is not in the bot's process).
 *
 *   node --import tsx bench/standInProcess.ts '{"users":["U0R0000",…]}'
 *
 * Prints one JSON line `{"url":…,"apiUrl":…}` on stdout once listening. Started by bench/standIn.ts
 * with an IPC channel, over which it
 *  - streams the chat.postMessage / chat.update calls it answers (batched every 20 ms), each stamped
 *    with a high-resolution wall-clock time taken when the call was answered;
 *  - clicks buttons on request (signed block_actions to the app's /slack/events) and reports the time
 *    from the click to the card's update: the post to the click's response_url that replaces it, or
 *    a chat.update of that message (claim-click-to-card-update);
 *  - audits Slack's rate limits: every call is checked against Slack's limits as the stand-in models
 *    them (src/sandbox/slackRateLimits.ts: chat.postMessage ~1/s per channel with a burst of 3,
 *    chat.update Tier 3 ~50/min), with a 0.25-call tolerance for jitter between the bot and here.
 */
import { startSlackStandIn, type ApiCall } from '../src/sandbox/slackStandIn.ts';
import { createRateLimiter } from '../src/sandbox/slackRateLimits.ts';
import { hrNow } from './procStats.ts';

export interface CallRecord {
  /** Web API method. */
  m: string;
  /** When answered (hrNow). */
  at: number;
  ok: boolean;
  /** The channel as sent (a user id for a DM) and as answered (the D… id), and the message ts. */
  to: string | undefined;
  channel: string | undefined;
  ts: string | undefined;
  /** Offer cards: the lead's reference (metadata `event_payload.lead`), e.g. `L-17`. */
  ref?: string;
}

export type ParentMessage =
  | { type: 'setRequestUrl'; url: string }
  | { type: 'click'; id: number; userId: string; channel: string; ts: string; actionId: string }
  | { type: 'stats'; id: number }
  | { type: 'resetAudit' };

export type ChildMessage =
  | { type: 'ready'; url: string; apiUrl: string }
  | { type: 'calls'; calls: CallRecord[] }
  | { type: 'clicked'; id: number; status: number; ackMs: number; updateMs: number | null }
  | { type: 'stats'; id: number; stats: StandInStats };

export interface StandInStats {
  callsByMethod: Record<string, number>;
  /** Calls that went over the pacing model, per method, and the largest overdraft (in calls). */
  pacingViolations: Record<string, number>;
  worstOverdraft: number;
  /** Most chat.postMessage calls to one channel within any 1 s, and chat.update calls within any 60 s. */
  maxPostsPerChannelIn1s: number;
  maxUpdatesIn60s: number;
}

function createAudit() {
  // Slack's limits as the stand-in models them (src/sandbox/slackRateLimits.ts), counting every call.
  const limiter = createRateLimiter({ mode: 'audit' });
  const recent = new Map<string, number[]>();
  const stats = { pacingViolations: limiter.stats.overLimit, worstOverdraft: 0, maxPostsPerChannelIn1s: 0, maxUpdatesIn60s: 0 };
  const windowMax = (key: string, at: number, windowMs: number) => {
    const list = recent.get(key) ?? [];
    list.push(at);
    while (list.length > 0 && (list[0] as number) <= at - windowMs) list.shift();
    recent.set(key, list);
    return list.length;
  };
  return {
    stats,
    record(method: string, channel: string | undefined, at: number) {
      limiter.take(method, channel, at);
      stats.worstOverdraft = limiter.stats.worstOverdraft;
      if (method === 'chat.postMessage') stats.maxPostsPerChannelIn1s = Math.max(stats.maxPostsPerChannelIn1s, windowMax(`${method}:${channel ?? ''}`, at, 1000));
      if (method === 'chat.update') stats.maxUpdatesIn60s = Math.max(stats.maxUpdatesIn60s, windowMax(method, at, 60_000));
    },
  };
}

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as { users?: string[]; signingSecret?: string; botToken?: string };
  const slack = await startSlackStandIn({
    signingSecret: options.signingSecret ?? 'bench-signing-secret',
    botToken: options.botToken ?? 'xoxb-bench',
    socketMode: false,
    users: options.users ?? [],
    timeoutMs: 30_000,
  });
  const send = (message: ChildMessage) => process.send?.(message);
  const callsByMethod: Record<string, number> = {};
  let audit = createAudit();
  let batch: CallRecord[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const waitingForUpdate = new Map<string, (at: number) => void>();

  const observe = (call: ApiCall, at: number) => {
    callsByMethod[call.method] = (callsByMethod[call.method] ?? 0) + 1;
    if (call.method !== 'chat.postMessage' && call.method !== 'chat.update') return;
    const to = typeof call.args.channel === 'string' ? call.args.channel : undefined;
    const channel = typeof call.response.channel === 'string' ? call.response.channel : to;
    const ts = typeof call.response.ts === 'string' ? call.response.ts : typeof call.args.ts === 'string' ? call.args.ts : undefined;
    if (call.ok) audit.record(call.method, channel, at);
    const metadata = call.args.metadata as { event_type?: string; event_payload?: { lead?: unknown } } | undefined;
    const ref = metadata?.event_type === 'leadrelay_offer' && typeof metadata.event_payload?.lead === 'string' ? metadata.event_payload.lead : undefined;
    batch.push({ m: call.method, at, ok: call.ok, to, channel, ts, ...(ref !== undefined ? { ref } : {}) });
    flushTimer ??= setTimeout(() => {
      flushTimer = undefined;
      const calls = batch;
      batch = [];
      send({ type: 'calls', calls });
    }, 20);
    if (call.method === 'chat.update' && call.ok) waitingForUpdate.get(`${channel}:${ts}`)?.(at);
  };

  // The stand-in re-runs a wait's probe synchronously whenever it records a call: a probe that never
  // resolves is a hook on every call. The log is cleared as it is read, so memory stays flat.
  void slack.waitUntil(
    () => {
      const at = hrNow();
      for (const call of slack.calls) observe(call, at);
      if (slack.calls.length > 0) slack.clearCalls();
      return false;
    },
    { timeoutMs: 2_000_000_000 },
  ).catch(() => undefined);

  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'setRequestUrl':
        slack.setRequestUrl(message.url);
        return;
      case 'resetAudit':
        audit = createAudit();
        return;
      case 'stats':
        send({ type: 'stats', id: message.id, stats: { callsByMethod: { ...callsByMethod }, ...audit.stats } });
        return;
      case 'click': {
        const key = `${message.channel}:${message.ts}`;
        const t0 = hrNow();
        let ackMs: number | null = null;
        let status = 0;
        let updateMs: number | null | undefined;
        const report = () => {
          if (ackMs === null || updateMs === undefined) return;
          waitingForUpdate.delete(key);
          clearTimeout(giveUp);
          send({ type: 'clicked', id: message.id, status, ackMs, updateMs });
        };
        const giveUp = setTimeout(() => {
          updateMs = null;
          ackMs ??= -1;
          report();
        }, 20_000);
        waitingForUpdate.set(key, (at) => {
          updateMs = at - t0;
          report();
        });
        slack
          .blockAction({ userId: message.userId, actionId: message.actionId, message: { channel: message.channel, ts: message.ts } })
          .then((reply) => {
            status = reply.status;
            // The card replaced through the click's response_url (what a click normally gets).
            void reply.responses
              .waitFor((post) => post.body.replace_original === true && post.status === 200, { timeoutMs: 20_000 })
              .then(
                () => waitingForUpdate.get(key)?.(hrNow()),
                () => undefined,
              );
          })
          .catch(() => {
            status = -1;
          })
          .finally(() => {
            ackMs = hrNow() - t0;
            report();
          });
        return;
      }
    }
  });
  process.on('SIGTERM', () => void slack.close().finally(() => process.exit(0)));
  process.on('disconnect', () => void slack.close().finally(() => process.exit(0)));
  process.stdout.write(`${JSON.stringify({ url: slack.baseUrl, apiUrl: slack.apiUrl })}\n`);
  send({ type: 'ready', url: slack.baseUrl, apiUrl: slack.apiUrl });
}

await main();
