import cron from 'node-cron';
import type { Logger } from '../logger.ts';

export interface ScheduledJob {
  name: string;
  /** Runs every second; keep it cheap when there is nothing to do. */
  run: () => void | Promise<void>;
}

/**
 * Ticks every second (node-cron) and runs each job, never two runs of the same job at once. The
 * jobs call use cases, which decide with the injected clock whether anything is due.
 */
export function startScheduler(jobs: ScheduledJob[], logger: Logger): { stop(): Promise<void> } {
  const running = new Map<string, Promise<void>>();
  const tick = () => {
    for (const job of jobs) {
      if (running.has(job.name)) continue;
      const run = (async () => {
        try {
          await job.run();
        } catch (error) {
          logger.error({ err: error, job: job.name }, 'scheduled job failed');
        } finally {
          running.delete(job.name);
        }
      })();
      running.set(job.name, run);
    }
  };
  const task = cron.schedule('* * * * * *', tick, { name: 'leadrelay-tick', noOverlap: true });
  tick();
  return {
    async stop() {
      await task.stop();
      await Promise.all(running.values());
    },
  };
}
