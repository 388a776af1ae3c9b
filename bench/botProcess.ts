/**
 * Starts the real bot (or the floor) as its own process and waits until /healthz answers 200.
 *
 * The bot runs as `npm start` runs it (package.json's start script), or compiled (`npm run build` →
 * dist/src/main.js; built here when dist is missing or older than src/), as a production deployment
 * runs it (see defaultRuntime). BENCH_PROFILE_DIR=dir writes a CPU profile of each bot
 * and floor process (open it in Chrome DevTools, or summarize it with bench/profileSummary.ts) when
 * it stops; BENCH_NODE_FLAGS adds Node/V8 flags (e.g. "--trace-gc").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from '../bin/build.js';
import { storeEnv, type BenchStore } from './postgres.ts';
import { cpuSeconds, hrNow, memoryMb } from './procStats.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Builds dist/ unless it is up to date (bin/build.js, what `npm start` does). Returns the build time in ms (0: up to date). */
export function ensureBuilt(): number {
  const started = Date.now();
  const result = buildIfStale(root);
  if (result === 'no-compiler') throw new Error('dist/ is out of date and TypeScript is not installed');
  return result === 'fresh' ? 0 : Date.now() - started;
}

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** From spawn to the first 200 from /healthz, in ms. */
  readyMs: number;
  cpuSeconds(): number;
  /** Resident memory now and its peak so far (VmHWM), in MB. */
  memoryMb(): { rss: number; peak: number };
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
}

async function startService(args: string[], env: Record<string, string>, options: { logFile?: string; port?: number; timeoutMs?: number }): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const output = options.logFile ? openSync(options.logFile, 'a') : 'inherit';
  const started = hrNow();
  // The store is the phase's: a DATABASE_URL exported in the bench's shell must not move a SQLite run to PostgreSQL.
  const { DATABASE_URL: _exported, ...inherited } = process.env;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...inherited, ...env, PORT: String(port) },
    stdio: ['ignore', output, output],
  });
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  let readyMs = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with code ${child.exitCode} during start-up${options.logFile ? ` (see ${options.logFile})` : ''}`);
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) {
      readyMs = hrNow() - started;
      break;
    }
    if (hrNow() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not become healthy in ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const pid = child.pid as number;
  return {
    child,
    pid,
    url,
    readyMs: Math.round(readyMs),
    cpuSeconds: () => cpuSeconds(pid),
    memoryMb: () => memoryMb(pid),
    stop() {
      return new Promise((resolve) => {
        // Exited already (by itself, or killed: a signal leaves exitCode null): no 'exit' is coming.
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** `npm-start`: package.json's `start` script, as the README starts the bot; `compiled`: `node dist/src/main.js`; `tsx`: `node --import tsx src/main.ts`. */
export type BotRuntime = 'npm-start' | 'compiled' | 'tsx';

/**
 * How the bench starts the bot: by default exactly as `npm start` does (package.json's `start`
 * script, run with this Node and the bench's Node flags, without npm's own process in between);
 * `npm run bench -- --compiled` (or BENCH_RUNTIME=compiled) runs the compiled build instead.
 */
export const defaultRuntime = (): BotRuntime => (process.env.BENCH_RUNTIME === 'compiled' || process.argv.includes('--compiled') ? 'compiled' : 'npm-start');

/** The Node arguments of package.json's `start` script (`node --import tsx src/main.ts` → `--import tsx src/main.ts`). */
export function npmStartArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`the bench runs package.json's start script itself and expects it to be a node command, not "${pkg.scripts?.start ?? ''}"`);
  return words.slice(1);
}

const entryOf = (runtime: BotRuntime): string[] =>
  runtime === 'compiled' ? ['dist/src/main.js'] : runtime === 'tsx' ? ['--import', 'tsx', 'src/main.ts'] : npmStartArgs();

/** BENCH_PROFILE_DIR=dir: a CPU profile per process; BENCH_NODE_FLAGS="--trace-gc …": more flags for the bot and the floor. */
const nodeFlags = () => [
  ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
  ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
];

/** The bot, in HTTP mode against `env.SLACK_API_URL`; `nodeArgs` go before the entry (after the bench's flags). */
export function startBotProcess(env: Record<string, string>, options: { runtime?: BotRuntime; logFile?: string; timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<ServiceProcess> {
  return startService([...nodeFlags(), ...(options.nodeArgs ?? []), ...entryOf(options.runtime ?? defaultRuntime())], { LOG_LEVEL: 'info', ...env }, options);
}

/** The floor pipeline (bench/floor.ts). */
export function startFloorProcess(env: Record<string, string>, options: { logFile?: string } = {}): Promise<ServiceProcess> {
  return startService([...nodeFlags(), '--import', 'tsx', 'bench/floor.ts'], env, options);
}

/** The environment of every bench service: HTTP mode against the Slack stand-in at `slackApiUrl`. */
export function benchEnv(slackApiUrl: string, webhookSecret = 'bench-webhook-secret'): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: slackApiUrl,
    LEADRELAY_WEBHOOK_SECRET: webhookSecret,
  };
}

/**
 * A phase's service: the bot (on `configPath`, database `<phase>-bot.db`, or with `store` PostgreSQL
 * the DATABASE_URL alone, as the README's several-instances section starts it) or the floor
 * (`<phase>-floor.db`), in `dir`, logging to `<phase>-<target>[-<name>].log`, talking to the stand-in.
 */
export function startPhaseService(options: {
  phase: string;
  target: 'bot' | 'floor';
  dir: string;
  configPath: string;
  secret: string;
  slackApiUrl: string;
  /** The bot only: its store (default SQLite). */
  store?: BenchStore;
  /** Tells several instances of one phase apart in their log's name. */
  name?: string;
  /** The bot only: how it is started (default: defaultRuntime()), Node arguments before its entry, more environment. */
  bot?: { runtime?: BotRuntime; nodeArgs?: string[]; env?: Record<string, string> };
}): Promise<ServiceProcess> {
  const env = benchEnv(options.slackApiUrl, options.secret);
  const logFile = join(options.dir, `${options.phase}-${options.target}${options.name ? `-${options.name}` : ''}.log`);
  const bot = options.bot ?? {};
  return options.target === 'bot'
    ? startBotProcess(
        { ...env, LEADRELAY_CONFIG: options.configPath, ...storeEnv(options.store ?? { kind: 'sqlite' }, join(options.dir, `${options.phase}-bot.db`)), ...bot.env },
        { logFile, ...(bot.runtime ? { runtime: bot.runtime } : {}), ...(bot.nodeArgs ? { nodeArgs: bot.nodeArgs } : {}) },
      )
    : startFloorProcess({ ...env, FLOOR_DB: join(options.dir, `${options.phase}-floor.db`) }, { logFile });
}
