import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

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
  const target = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('load is only sent to loopback');
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const maxRequests = options.maxRequests ?? Number.MAX_SAFE_INTEGER;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  const send = (i: number) =>
    new Promise<void>((resolve) => {
      const body = options.body(i);
      const t0 = performance.now();
      const req = request(
        target,
        { method: 'POST', agent, headers: { ...options.headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            statusCounts[String(res.statusCode)] = (statusCounts[String(res.statusCode)] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });

  const worker = async () => {
    while (performance.now() < deadline && issued < maxRequests) {
      issued += 1;
      await send(issued);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length,
    errors,
    statusCounts,
    seconds: round(seconds),
    perSecond: Math.round(latencies.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p90: round(percentile(latencies, 90)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.at(-1) ?? 0),
    },
  };
}
