/**
 * Burst load with wrk (Debian's `wrk` package), a load generator in a process of its own, so that
 * the generator's CPU does not decide the figure (an in-process Node client topped out near the
 * floor's own pace). `bench/wrk/leads.lua` sends a different lead on every request and reports the
 * answers' statuses and latency percentiles.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./wrk/leads.lua', import.meta.url));

export interface WrkResult {
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** Throws a clear message when wrk is not installed. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 after printing its version: only a missing binary is a problem.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the burst phase needs wrk: apt-get install -y wrk');
  }
}

/**
 * POSTs bench leads closed-loop over `connections` keep-alive connections for `seconds` with one
 * wrk thread (on a 2-core machine the other core is the bot's).
 */
export function runWrk(options: { url: string; connections: number; seconds: number; run: string; secret: string; teams: number; threads?: number }): Promise<WrkResult> {
  requireWrk();
  const url = new URL(options.url);
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) throw new Error('load is only sent to loopback');
  const args = [`-t${options.threads ?? 1}`, `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', script, options.url, '--', options.run, options.secret, String(options.teams)];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited with ${code}: ${err || out}`));
      const parsed = JSON.parse(line.slice('WRK_RESULT '.length)) as Omit<WrkResult, 'perSecond'>;
      const round = (n: number) => Math.round(n * 100) / 100;
      resolve({
        ...parsed,
        seconds: round(parsed.seconds),
        perSecond: Math.round(parsed.requests / parsed.seconds),
        latencyMs: { p50: round(parsed.latencyMs.p50), p90: round(parsed.latencyMs.p90), p99: round(parsed.latencyMs.p99), max: round(parsed.latencyMs.max), mean: round(parsed.latencyMs.mean) },
      });
    });
  });
}
