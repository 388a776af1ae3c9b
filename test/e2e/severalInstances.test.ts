/**
 * Several instances on one PostgreSQL database, in one process (two bots, one Slack stand-in, one
 * fake clock): what one instance learns or changes reaches the other through the database — a claim
 * made through one is refused to a second click through the other, an App Home opened on one is
 * republished once whichever instance sees the change, a lead one accepted and never routed is
 * routed by the other, and one instance's deliveries are never made again by the other.
 */
import { expect, it } from 'vitest';
import { createAcceptLead } from '../../src/app/acceptLead.ts';
import { configFrom, onDatabase, startHarness, useHarnessCleanup, type Harness } from '../support/botHarness.ts';
import { describePostgres } from '../support/postgres.ts';
import { eventually } from '../support/eventually.ts';

useHarnessCleanup();

const CONFIG = `
timezone: UTC
sla: { claim_within: 5m }
managers: [U0MGR]
reps:
  - { id: U0ALICE, name: Alice }
  - { id: U0BOB, name: Bob }
teams:
  - { id: sdr, manager: U0MGR, members: [U0ALICE, U0BOB] }
rules:
  - { name: Everyone, route: { team: sdr } }
fallback: { team: sdr }
`;

/** Two instances on one new database; Slack's requests go to `a` until `via` says otherwise. */
async function twoInstances() {
  const a = await startHarness({ store: 'postgres', configYaml: CONFIG, users: ['U0ALICE', 'U0BOB', 'U0MGR'] });
  const b = await startHarness({ database: a.database, slack: a.slack, clock: a.clock, configYaml: CONFIG });
  const via = (instance: Harness) => a.slack.setRequestUrl(`${instance.baseUrl}/slack/events`);
  via(a);
  return { a, b, slack: a.slack, via };
}

describePostgres('several instances on one PostgreSQL database', () => {
  it('are two instances with names of their own', async () => {
    const { a, b } = await twoInstances();
    const health = await Promise.all([a, b].map(async (t) => (await fetch(`${t.baseUrl}/healthz`)).json()));
    expect(health).toMatchObject([
      { status: 'ok', store: 'postgres', instance: a.bot.instance },
      { status: 'ok', store: 'postgres', instance: b.bot.instance },
    ]);
    expect(a.bot.instance).not.toBe(b.bot.instance);
  });

  it('republishes an App Home opened on one instance when the change comes through the other, once', async () => {
    const { a, b, slack, via } = await twoInstances();
    const id = await a.postLead({ email: 'jane@acme.com', name: 'Jane Doe' });
    const owner = (await a.pendingRep(id)) as string;
    await slack.event({ type: 'app_home_opened', user: owner, tab: 'home' });
    await eventually(() => JSON.stringify(slack.homeView(owner)?.definition ?? '').includes('claim_lead'));
    const publishes = () => slack.callsTo('views.publish').filter((call) => call.args.user_id === owner).length;
    const before = publishes();

    // The claim comes through b, which never saw the Home opened; b delivers the card's update.
    via(b);
    const card = slack.lastMessage(owner);
    await slack.blockAction({ userId: owner, actionId: 'claim_lead', message: { channel: card?.channel ?? '', ts: card?.ts ?? '' } });
    await eventually(async () => (await b.lead(id)).state === 'claimed');
    await b.bot.outbox.drain();
    // Both sweep at once: one of them publishes the Home.
    await Promise.all([a.bot.flushAppHomes(), b.bot.flushAppHomes()]);
    expect(publishes()).toBe(before + 1);
    expect(JSON.stringify(slack.homeView(owner)?.definition)).not.toContain('claim_lead');
    // Nothing more to publish until the next change.
    await Promise.all([a.bot.flushAppHomes(), b.bot.flushAppHomes()]);
    expect(publishes()).toBe(before + 1);
  });

  it('routes a lead another instance accepted and did not route (it died first), once it has waited past the routing of arrivals', async () => {
    const { a, b } = await twoInstances();
    // As an instance that dies right after its 202 leaves it: accepted, stored `received`, never routed.
    const accepted = await onDatabase(a.database, ({ store }) =>
      createAcceptLead({ uow: store.uow, clock: a.clock, config: () => configFrom(CONFIG) })({ lead: { source: 'form', email: 'jane@acme.com', company: {}, fields: {} }, requestHash: 'h' }),
    );
    if (accepted.status !== 'accepted') throw new Error(accepted.status);
    // Not yet: it may still be on its way through its own instance's routing.
    expect(await b.bot.router.routeReceived({ receivedBefore: a.clock.now() - 10_000 })).toBe(0);
    expect((await b.lead(accepted.leadId)).state).toBe('received');
    a.clock.advance(11_000);
    // Both sweep at once: the lead is routed once.
    const routed = await Promise.all([a.bot.router.routeReceived({ receivedBefore: a.clock.now() - 10_000 }), b.bot.router.routeReceived({ receivedBefore: a.clock.now() - 10_000 })]);
    expect(routed.reduce((x, y) => x + y)).toBe(1);
    expect(await b.events(accepted.leadId)).toEqual(['received', 'routed', 'offered']);
  });

  it('gives one owner when the same card is clicked through both instances, and shows it once', async () => {
    const { a, b, slack, via } = await twoInstances();
    const id = await a.postLead({ email: 'jane@acme.com' });
    const owner = (await a.pendingRep(id)) as string;
    const card = slack.lastMessage(owner);
    const message = { channel: card?.channel ?? '', ts: card?.ts ?? '' };
    via(a);
    const first = slack.blockAction({ userId: owner, actionId: 'claim_lead', message });
    via(b);
    const second = slack.blockAction({ userId: owner, actionId: 'claim_lead', message, requireElement: false });
    expect((await Promise.all([first, second])).map((reply) => reply.status)).toEqual([200, 200]);
    await eventually(async () => (await a.lead(id)).state === 'claimed');
    await Promise.all([a.bot.outbox.drain(), b.bot.outbox.drain()]);
    expect(await a.events(id)).toEqual(['received', 'routed', 'offered', 'claimed']);
    expect(await a.sql.all(`SELECT state, count(*) AS n FROM outbox GROUP BY state`)).toEqual([{ state: 'done', n: await a.sql.get<{ n: number }>('SELECT count(*) AS n FROM outbox').then((r) => r?.n) }]);
    expect(JSON.stringify(slack.message(message.channel, message.ts)?.blocks)).toContain('Claimed by you');
  });
});
