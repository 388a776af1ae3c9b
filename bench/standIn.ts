/** Starts bench/standInProcess.ts as its own process and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CallRecord, ChildMessage, ParentMessage, StandInStats } from './standInProcess.ts';

export interface StandInProcess {
  child: ChildProcess;
  apiUrl: string;
  /** Every chat.postMessage / chat.update answered so far, in order. */
  calls: CallRecord[];
  /** Offer cards posted, by lead reference: when the first one arrived (hrNow) and where. */
  cards: Map<string, { at: number; to: string; channel: string; ts: string }>;
  /** Resolves when `predicate` holds over the records (checked as calls arrive), or after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean>;
  setRequestUrl(url: string): void;
  /** Clicks `actionId` on a message as `userId`; resolves with the ack time and the time to the message's chat.update. */
  click(userId: string, channel: string, ts: string, actionId: string): Promise<{ status: number; ackMs: number; updateMs: number | null }>;
  stats(): Promise<StandInStats>;
  resetAudit(): void;
  close(): Promise<void>;
}

const root = fileURLToPath(new URL('../', import.meta.url));

export async function startStandInProcess(users: string[]): Promise<StandInProcess> {
  const child = fork(fileURLToPath(new URL('./standInProcess.ts', import.meta.url)), [JSON.stringify({ users })], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const calls: CallRecord[] = [];
  const cards = new Map<string, { at: number; to: string; channel: string; ts: string }>();
  const waiters = new Set<() => void>();
  const replies = new Map<number, (message: ChildMessage) => void>();
  let nextId = 1;
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'calls') {
      for (const call of message.calls) {
        calls.push(call);
        if (call.ref !== undefined && call.ok && !cards.has(call.ref)) cards.set(call.ref, { at: call.at, to: call.to ?? '', channel: call.channel ?? '', ts: call.ts ?? '' });
      }
      for (const waiter of [...waiters]) waiter();
    } else if (message.type === 'clicked' || message.type === 'stats') {
      replies.get(message.id)?.(message);
      replies.delete(message.id);
    }
  });
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve((JSON.parse(line) as { apiUrl: string }).apiUrl));
    child.once('exit', (code) => reject(new Error(`the Slack stand-in exited with code ${code} during start-up`)));
  });
  const post = (message: ParentMessage) => child.send(message);
  const request = <T extends ChildMessage>(message: ParentMessage & { id: number }) =>
    new Promise<T>((resolve) => {
      replies.set(message.id, resolve as (m: ChildMessage) => void);
      post(message);
    });

  return {
    child,
    apiUrl,
    calls,
    cards,
    waitFor(predicate, timeoutMs) {
      if (predicate()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate()) return;
          done(true);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (value: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(value);
        };
        waiters.add(check);
      });
    },
    setRequestUrl: (url) => post({ type: 'setRequestUrl', url }),
    async click(userId, channel, ts, actionId) {
      const reply = await request<Extract<ChildMessage, { type: 'clicked' }>>({ type: 'click', id: nextId++, userId, channel, ts, actionId });
      return { status: reply.status, ackMs: reply.ackMs, updateMs: reply.updateMs };
    },
    async stats() {
      return (await request<Extract<ChildMessage, { type: 'stats' }>>({ type: 'stats', id: nextId++ })).stats;
    },
    resetAudit: () => post({ type: 'resetAudit' }),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
