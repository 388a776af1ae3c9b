/**
 * The real bot (`src/main.ts`) as a child process, for tests that kill it with SIGKILL and start it
 * again on the same database and port, and helpers to read what it posted to the Slack stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ApiCall, SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const OFFER_METADATA_TYPE = 'leadrelay_offer';
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const debug = process.env.LEADRELAY_CRASH_DEBUG ? (...args: unknown[]) => console.info(new Date().toISOString(), ...args) : () => undefined;

export interface Run {
  pid: number;
  spawnedAt: number;
  /** When /healthz first answered 200 (test process clock = the bot's clock: same machine). */
  healthyAt: number | null;
  /** When we sent SIGKILL or SIGTERM. */
  stoppedAt: number | null;
  stoppedWith: 'SIGKILL' | 'SIGTERM' | null;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  output: string;
}

/** The bot on a fixed port, so the stand-in's request URL stays valid across restarts. */
export class BotUnderTest {
  readonly runs: Run[] = [];
  private child: ChildProcess | undefined;
  private current: Run | undefined;
  private markUp: (() => void) | null = null;
  private up: Promise<void> = new Promise<void>((resolve) => (this.markUp = resolve));

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    /** Starts every error message (e.g. the seed that replays a run). */
    private readonly tag = '',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.current?.healthyAt !== null && this.current?.healthyAt !== undefined && this.current.stoppedAt === null;
  }

  /** Resolves once the bot is up (immediately when it is). */
  whenUp(): Promise<void> {
    return this.up;
  }

  /**
   * Spawns the bot and resolves once it serves (/healthz 200); with `standby: true`, once it answers
   * that it is on standby (another instance holds the database), and `whenHealthy()` waits for it to take over.
   */
  async start(timeoutMs = 20_000, options: { standby?: boolean } = {}): Promise<Run> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}), LOG_LEVEL: 'warn', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { pid: child.pid ?? -1, spawnedAt: Date.now(), healthyAt: null, stoppedAt: null, stoppedWith: null, exit: null, output: '' };
    const keep = (chunk: Buffer) => {
      run.output = (run.output + chunk.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => (run.exit = { code, signal }));
    this.child = child;
    this.current = run;
    this.runs.push(run);
    for (;;) {
      if (run.exit) throw new Error(`${this.tag} the bot exited during start-up (${JSON.stringify(run.exit)}):\n${run.output}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (response.status === 200) break;
        if (options.standby && response.status === 503 && ((await response.json()) as { status?: string }).status === 'standby') return run;
      } catch {
        // not listening yet
      }
      if (Date.now() - run.spawnedAt > timeoutMs) {
        child.kill('SIGKILL');
        throw new Error(`${this.tag} the bot did not become ${options.standby ? 'healthy or standby' : 'healthy'} within ${timeoutMs} ms:\n${run.output}`);
      }
      await sleep(20);
    }
    this.markHealthy(run);
    return run;
  }

  /** Resolves once the running bot serves (/healthz 200), e.g. an instance on standby that took over; when it did, in ms since `since`. */
  async whenHealthy(timeoutMs = 20_000): Promise<number> {
    const run = this.current;
    if (!run) throw new Error(`${this.tag} no bot is running`);
    const since = Date.now();
    for (;;) {
      if (run.exit) throw new Error(`${this.tag} the bot exited (${JSON.stringify(run.exit)}):\n${run.output}`);
      const status = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() - since > timeoutMs) throw new Error(`${this.tag} the bot did not become healthy within ${timeoutMs} ms:\n${run.output}`);
      await sleep(20);
    }
    this.markHealthy(run);
    return Date.now() - since;
  }

  /** What the running bot printed so far (its log lines, at LOG_LEVEL). */
  get output(): string {
    return this.current?.output ?? '';
  }

  private markHealthy(run: Run): void {
    run.healthyAt = Date.now();
    debug(`bot pid ${run.pid} healthy ${run.healthyAt - run.spawnedAt} ms after spawn`);
    this.markUp?.();
    this.markUp = null;
  }

  private async stopWith(signal: 'SIGKILL' | 'SIGTERM', timeoutMs: number): Promise<Run['exit']> {
    const child = this.child;
    const run = this.current;
    if (!child || !run) return null;
    if (this.markUp === null) this.up = new Promise<void>((resolve) => (this.markUp = resolve));
    run.stoppedAt = Date.now();
    run.stoppedWith = signal;
    if (!run.exit) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    this.child = undefined;
    return run.exit;
  }

  kill9(): Promise<Run['exit']> {
    return this.stopWith('SIGKILL', 5000);
  }

  /** A clean stop (SIGTERM): finishes in-flight deliveries. */
  terminate(): Promise<Run['exit']> {
    return this.stopWith('SIGTERM', 15_000);
  }

  /** Runs that ended without us asking (a crash of the bot itself). */
  unexpectedExits(): Run[] {
    return this.runs.filter((run) => run.exit !== null && run.stoppedWith === null);
  }

  /** Up intervals [healthyAt, stoppedAt ?? Infinity], oldest first. */
  upIntervals(): { from: number; to: number }[] {
    return this.runs.filter((run) => run.healthyAt !== null).map((run) => ({ from: run.healthyAt as number, to: run.stoppedAt ?? Number.POSITIVE_INFINITY }));
  }
}

export interface PostedCard {
  offerId: number;
  userId: string;
  channel: string;
  ts: string;
  call: ApiCall;
}

export function offerCardsPosted(slack: SlackStandIn): PostedCard[] {
  return slack
    .callsTo('chat.postMessage')
    .filter((c) => c.ok && (c.args.metadata as { event_type?: string } | undefined)?.event_type === OFFER_METADATA_TYPE)
    .map((call) => ({
      offerId: Number((call.args.metadata as { event_payload: { offer_id: number } }).event_payload.offer_id),
      userId: String(call.args.channel),
      channel: String(call.response.channel),
      ts: String(call.response.ts),
      call,
    }));
}

/** The value of the button with `actionId` in a message's blocks, if it has one. */
export function buttonValue(blocks: unknown, actionId: string): string | undefined {
  if (Array.isArray(blocks)) {
    for (const item of blocks) {
      const found = buttonValue(item, actionId);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof blocks !== 'object' || blocks === null) return undefined;
  const record = blocks as Record<string, unknown>;
  if (record.action_id === actionId && typeof record.value === 'string') return record.value;
  for (const value of Object.values(record)) {
    if (typeof value === 'object' && value !== null) {
      const found = buttonValue(value, actionId);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

