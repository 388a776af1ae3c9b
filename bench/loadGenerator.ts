import { Agent, request } from 'node:http';
import { hrNow, summarize } from './procStats.ts';

export interface LoadResult {
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
  seconds: number;
  perSecond: number;
  /** Answers per second of the run, second by second. */
  perSecondSeries: number[];
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export interface SentLead {
  /** When the request was sent (hrNow). */
  sentAt: number;
  latencyMs: number;
  status: number;
  /** The `lead` of the answer, e.g. `L-17`. */
  ref?: string;
}

const loopbackOnly = (url: string) => {
  const target = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('load is only sent to loopback');
  return target;
};

/** One POST; resolves with the status, the latency and the answer's body (when `keepBody`). */
function post(target: URL, agent: Agent, headers: Record<string, string>, body: string, keepBody: boolean) {
  return new Promise<{ sentAt: number; latencyMs: number; status: number; body?: string }>((resolve) => {
    const sentAt = hrNow();
    const req = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      if (keepBody) res.on('data', (chunk: Buffer) => chunks.push(chunk));
      else res.resume();
      res.on('end', () => resolve({ sentAt, latencyMs: hrNow() - sentAt, status: res.statusCode ?? 0, ...(keepBody ? { body: Buffer.concat(chunks).toString('utf8') } : {}) }));
    });
    req.on('error', () => resolve({ sentAt, latencyMs: hrNow() - sentAt, status: 0 }));
    req.end(body);
  });
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Closed-loop HTTP load: `connections` keep-alive connections each send the next request as soon
 * as the previous one is answered, for `seconds`. Bounded in time and count; loopback only.
 */
export async function runClosedLoop(options: {
  url: string;
  connections: number;
  seconds: number;
  maxRequests?: number;
  body: (i: number) => string;
  headers: Record<string, string>;
}): Promise<LoadResult> {
  const target = loopbackOnly(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const series: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const maxRequests = options.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const started = hrNow();
  const deadline = started + options.seconds * 1000;

  const worker = async () => {
    while (hrNow() < deadline && issued < maxRequests) {
      issued += 1;
      const answer = await post(target, agent, options.headers, options.body(issued), false);
      if (answer.status === 0) {
        errors += 1;
        continue;
      }
      latencies.push(answer.latencyMs);
      const second = Math.floor((hrNow() - started) / 1000);
      series[second] = (series[second] ?? 0) + 1;
      statusCounts[String(answer.status)] = (statusCounts[String(answer.status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (hrNow() - started) / 1000;
  agent.destroy();
  const { p50, p90, p99, max } = summarize(latencies);
  return {
    requests: latencies.length,
    errors,
    statusCounts,
    seconds: round(seconds),
    perSecond: Math.round(latencies.length / seconds),
    perSecondSeries: Array.from({ length: series.length }, (_, i) => series[i] ?? 0),
    latencyMs: { p50, p90, p99, max },
  };
}

/**
 * Open-loop HTTP load: requests sent at a steady `ratePerSecond` for `seconds`, whatever the answers
 * take (as lead sources do), over up to 64 keep-alive connections (per target URL). Resolves once every request is
 * answered, with each lead's send time and the reference it got.
 */
export async function runOpenLoop(options: {
  /** Where to POST; several: request i goes to url[i mod n] (instances behind a round-robin balancer). */
  url: string | string[];
  ratePerSecond: number;
  seconds: number;
  body: (i: number) => string;
  /** Fixed headers, or the headers of each body (a signature over it). */
  headers: Record<string, string> | ((body: string) => Record<string, string>);
}): Promise<{ sent: SentLead[]; statusCounts: Record<string, number>; seconds: number; latencyMs: ReturnType<typeof summarize> }> {
  const targets = (Array.isArray(options.url) ? options.url : [options.url]).map(loopbackOnly);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const total = Math.round(options.ratePerSecond * options.seconds);
  const pending: Promise<SentLead>[] = [];
  const started = hrNow();
  while (pending.length < total) {
    const due = Math.min(total, Math.floor(((hrNow() - started) / 1000) * options.ratePerSecond) + 1);
    while (pending.length < due) {
      const i = pending.length;
      const body = options.body(i);
      const headers = typeof options.headers === 'function' ? options.headers(body) : options.headers;
      pending.push(
        post(targets[i % targets.length] as URL, agent, headers, body, true).then((answer) => {
          let ref: string | undefined;
          try {
            ref = (JSON.parse(answer.body ?? '{}') as { lead?: string }).lead;
          } catch {
            ref = undefined;
          }
          return { sentAt: answer.sentAt, latencyMs: answer.latencyMs, status: answer.status, ...(ref !== undefined ? { ref } : {}) };
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const sent = await Promise.all(pending);
  const seconds = (hrNow() - started) / 1000;
  agent.destroy();
  const statusCounts: Record<string, number> = {};
  for (const lead of sent) statusCounts[String(lead.status)] = (statusCounts[String(lead.status)] ?? 0) + 1;
  return { sent, statusCounts, seconds: round(seconds), latencyMs: summarize(sent.map((lead) => lead.latencyMs)) };
}
