/**
 * An instance's name: `host/pidns/pid/random`, unique per start, shown in /healthz and the logs, and
 * stored where the instance holds work (the SQLite instance lease, PostgreSQL's outbox leases). On
 * this host it also tells whether the instance named still runs.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** The PID namespace of this process (`pid:[4026531836]`), so that pids are only compared within one; null when unknown. */
function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid').replace(/[^0-9]/g, '') || null;
  } catch {
    return null;
  }
}

const PID_NAMESPACE = pidNamespace();

/** `host/pidns/pid/random`: unique per start, and enough to tell on this host whether it still runs. */
export function instanceName(): string {
  return `${hostname()}/${PID_NAMESPACE ?? '-'}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

/**
 * Whether the lease's holder certainly no longer runs: it ran on this host, in this PID namespace,
 * and its process is gone (or the pid is this very process, started again). Anything else (another
 * host, another container, a name we cannot read) is not known to be dead: its lease must expire.
 */
export function holderIsGone(holder: string): boolean {
  const [host, namespace, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || PID_NAMESPACE === null || namespace !== PID_NAMESPACE || !Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
