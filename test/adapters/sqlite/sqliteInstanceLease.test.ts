import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/openDatabase.ts';
import { holderIsGone, instanceName } from '../../../src/adapters/instanceName.ts';
import { sqliteInstanceLease } from '../../../src/adapters/sqlite/sqliteInstanceLease.ts';

/** Two connections to one database file, as two instances have, and a clock the test moves. */
function twoInstances(options: { gone?: (holder: string) => boolean } = {}) {
  const path = join(mkdtempSync(join(tmpdir(), 'leadrelay-lease-')), 'db.sqlite');
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const gone = options.gone ?? (() => false);
  const first = sqliteInstanceLease(openDatabase(path), { holder: 'host-a/1/100/aaa', ttlMs: 6000, now: clock.now, holderIsGone: gone });
  const second = sqliteInstanceLease(openDatabase(path), { holder: 'host-b/1/200/bbb', ttlMs: 6000, now: clock.now, holderIsGone: gone });
  return { first, second, clock };
}

describe('the instance lease (one writer on SQLite)', () => {
  it('goes to the first instance; the second is told who holds it and waits', () => {
    const { first, second } = twoInstances();
    expect(first.tryAcquire()).toEqual({ acquired: true, tookOverFrom: null });
    expect(first.held()).toBe(true);
    const attempt = second.tryAcquire();
    expect(attempt).toMatchObject({ acquired: false, holder: { holder: 'host-a/1/100/aaa', expires_at: 1_006_000 } });
    expect(second.held()).toBe(false);
  });

  it('stays with a holder that keeps its heartbeat', () => {
    const { first, second, clock } = twoInstances();
    first.tryAcquire();
    for (let i = 0; i < 10; i += 1) {
      clock.advance(2000);
      expect(first.renew()).toBe(true);
      expect(second.tryAcquire().acquired).toBe(false);
    }
  });

  it('passes to the waiting instance once the holder stopped renewing for the lease time, and the old holder learns it lost it', () => {
    const { first, second, clock } = twoInstances();
    first.tryAcquire();
    clock.advance(5999);
    expect(second.tryAcquire().acquired).toBe(false);
    clock.advance(1);
    // The holder paused past its lease no longer acts on its own clock…
    expect(first.held()).toBe(false);
    expect(second.tryAcquire()).toMatchObject({ acquired: true, tookOverFrom: { holder: 'host-a/1/100/aaa' } });
    // …and its next heartbeat finds the lease taken: it must stop.
    expect(first.renew()).toBe(false);
    expect(first.held()).toBe(false);
    expect(first.tryAcquire().acquired).toBe(false);
  });

  it('passes at once when the holder releases it (a clean stop)', () => {
    const { first, second } = twoInstances();
    first.tryAcquire();
    first.release();
    expect(second.tryAcquire()).toEqual({ acquired: true, tookOverFrom: null });
  });

  it('passes at once when its holder is known to be dead (killed on this host)', () => {
    const { first, second } = twoInstances({ gone: (holder) => holder.startsWith('host-a/') });
    first.tryAcquire();
    expect(second.tryAcquire()).toMatchObject({ acquired: true, tookOverFrom: { holder: 'host-a/1/100/aaa' } });
  });
});

describe('holderIsGone', () => {
  const [host, namespace] = instanceName().split('/');

  it('knows a process of this host and PID namespace that has exited', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    expect(child.pid).toBeGreaterThan(0);
    expect(holderIsGone(`${host}/${namespace}/${child.pid}/abc`)).toBe(true);
  });

  it('knows a running process is alive, and a name with this very pid is an earlier start of it', () => {
    expect(holderIsGone(`${host}/${namespace}/${process.ppid}/abc`)).toBe(false);
    expect(holderIsGone(`${host}/${namespace}/${process.pid}/abc`)).toBe(true);
  });

  it('does not judge another host, another PID namespace, or a name it cannot read', () => {
    expect(holderIsGone(`not-${hostname()}/${namespace}/999999/abc`)).toBe(false);
    expect(holderIsGone(`${host}/1/999999/abc`)).toBe(namespace === '1');
    expect(holderIsGone('garbage')).toBe(false);
  });
});
