/**
 * Every port of src/app/ports.ts in memory, with real transaction semantics, for the port-contract
 * and use-case suites (test/app/contract): a work's writes are undone when it throws (an undo log,
 * savepoints included), after-commit hooks run only once it committed, compare-and-set is by
 * version, a read sees committed state only, and transactions run one at a time, each on its own
 * (no group commit: a use case must not depend on SQLite's batching). Unlike SQLite it refuses a
 * `run` inside a work, so a use case that opens a transaction inside another's fails here.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  PRIORITY,
  RESPONSE_URL_LIFETIME_MS,
  RESPONSE_URL_USES,
  type AccountOwnerRepository,
  type AvailabilityRepository,
  type DueOffer,
  type FailingWebhook,
  type HistoryEntry,
  type IdempotencyRepository,
  type LeadRepository,
  type OfferRepository,
  type Outbox,
  type OutboxQueue,
  type OutboxRow,
  type Priority,
  type ReadTx,
  type RoutingRepository,
  type SignalRepository,
  type SlackDeliveryLog,
  type Store,
  type StoredLead,
  type StoredOffer,
  type Tx,
  type UnitOfWork,
  type WaitingState,
} from '../../src/app/ports.ts';
import { TxBase } from '../../src/app/txBase.ts';
import type { EscalatedLeadItem, OpenLeadItem, OutcomeCounts, PendingOfferItem, QueuedLeadItem, ReadModels } from '../../src/app/readModels.ts';
import { laneOf, messageKeyOf, type Effect, type Lane } from '../../src/domain/effects.ts';
import { leadRef } from '../../src/domain/lead.ts';
import { localDayStart, type RepRuntime, type RoundRobinState } from '../../src/domain/routing/index.ts';
import type { Settings } from '../../src/domain/settings.ts';
import type { SignalFact } from '../../src/domain/signals/matchSignalRule.ts';
import { usableResponseUrl } from '../../src/adapters/outbox/outboxCodec.ts';

interface LeadRecord extends StoredLead {
  externalId: string | null;
  emailKey: string | null;
  linkedinKey: string | null;
  trace: unknown;
  escalationReason: 'max_offers' | 'queued' | null;
  escalatedAt: number | null;
  escalationPings: number;
  escalationNextPingAt: number | null;
  escalationChannel: string | null;
  escalationTs: string | null;
}

interface OutboxRecord {
  id: number;
  leadId: number | null;
  effect: Effect;
  lane: Lane;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  result: unknown;
  createdAt: number;
  doneAt: number | null;
  messageKey: string | null;
  changes: number;
  priority: Priority;
}

interface RepStateRecord {
  awayUntil: number | null;
  capacityOverride: number | null;
  lastOfferAt: number | null;
}

/** Everything the store holds. Rows are never changed in place: a write puts a new row (so the undo log can put the old one back). */
class Tables {
  leads = new Map<number, LeadRecord>();
  history: (HistoryEntry & { leadId: number })[] = [];
  offers = new Map<number, StoredOffer>();
  repState = new Map<string, RepStateRecord>();
  passes = new Map<string, number>();
  levels = new Map<string, number>();
  accounts = new Map<string, { ownerId: string | null; setBy: string; setAt: number }>();
  signals: (SignalFact & { leadId: number; key: string | null })[] = [];
  outbox = new Map<number, OutboxRecord>();
  idempotency = new Map<string, { leadId: number; requestHash: string }>();
  slackDeliveries = new Map<string, number>();
  responseUrls = new Map<string, { url: string; receivedAt: number; uses: number }>();
  ids = { lead: 0, offer: 0, outbox: 0 };
}

/** The undo log of the open transaction; writes outside one are a bug in the store. */
class Journal {
  private entries: (() => void)[] = [];
  open = false;

  put<K, V>(map: Map<K, V>, key: K, value: V): void {
    this.check();
    const had = map.has(key);
    const before = map.get(key);
    this.entries.push(() => (had ? map.set(key, before as V) : map.delete(key)));
    map.set(key, value);
  }

  remove<K, V>(map: Map<K, V>, key: K): void {
    this.check();
    if (!map.has(key)) return;
    const before = map.get(key) as V;
    this.entries.push(() => map.set(key, before));
    map.delete(key);
  }

  append<T>(list: T[], item: T): void {
    this.check();
    this.entries.push(() => list.pop());
    list.push(item);
  }

  counter(ids: Tables['ids'], name: keyof Tables['ids']): number {
    this.check();
    const before = ids[name];
    this.entries.push(() => (ids[name] = before));
    ids[name] = before + 1;
    return ids[name];
  }

  mark(): number {
    return this.entries.length;
  }

  rollBackTo(mark: number): void {
    while (this.entries.length > mark) this.entries.pop()?.();
  }

  clear(): void {
    this.entries = [];
  }

  private check() {
    if (!this.open) throw new Error('memory store: a write outside a transaction');
  }
}

const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

function leadRepository(t: Tables, j: Journal): LeadRepository {
  const lead = (id: number) => t.leads.get(id);
  const change = (id: number, fields: Partial<LeadRecord>) => {
    const row = lead(id);
    if (row) j.put(t.leads, id, { ...row, ...fields });
  };
  const stored = (row: LeadRecord): StoredLead => ({
    id: row.id, state: row.state, version: row.version, ownerId: row.ownerId, receivedAt: row.receivedAt, teamId: row.teamId, sequenceId: row.sequenceId,
    routedBy: row.routedBy, domain: row.domain, lead: copy(row.lead), enrichment: copy(row.enrichment), updatedAt: row.updatedAt, firstOfferedAt: row.firstOfferedAt,
    claimedAt: row.claimedAt, firstOwnedAt: row.firstOwnedAt, doneAt: row.doneAt,
  });
  const newest = (match: (row: LeadRecord) => boolean) => [...t.leads.values()].filter(match).sort((a, b) => b.id - a.id)[0];
  const match = (row: LeadRecord | undefined) => (row ? { id: row.id, state: row.state, ownerId: row.ownerId } : null);
  const repo: LeadRepository = {
    async insert(row) {
      const id = j.counter(t.ids, 'lead');
      j.put(t.leads, id, {
        id, state: 'received', version: 0, ownerId: null, receivedAt: row.receivedAt, teamId: null, sequenceId: null, routedBy: null, domain: row.domain,
        lead: copy(row.lead), enrichment: null, updatedAt: row.receivedAt, firstOfferedAt: null, claimedAt: null, firstOwnedAt: null, doneAt: null,
        externalId: row.externalId, emailKey: row.emailKey, linkedinKey: row.linkedinKey, trace: null,
        escalationReason: null, escalatedAt: null, escalationPings: 0, escalationNextPingAt: null, escalationChannel: null, escalationTs: null,
      });
      return id;
    },
    async get(id) {
      const row = lead(id);
      return row ? stored(row) : null;
    },
    async getState(id) {
      const row = lead(id);
      return row ? { id: row.id, state: row.state, version: row.version, ownerId: row.ownerId, receivedAt: row.receivedAt } : null;
    },
    async setState({ id, version, state, ownerId, now }) {
      const row = lead(id);
      if (!row || row.version !== version) return false;
      change(id, {
        state, ownerId, version: version + 1, updatedAt: now,
        claimedAt: state === 'claimed' ? now : row.claimedAt,
        firstOwnedAt: state === 'claimed' ? (row.firstOwnedAt ?? now) : row.firstOwnedAt,
        doneAt: state === 'done' ? now : row.doneAt,
      });
      return true;
    },
    async applyRouting(change_) {
      const row = lead(change_.id);
      if (!row || row.version !== change_.version) return false;
      change(row.id, {
        state: change_.state, teamId: change_.teamId, sequenceId: change_.sequenceId, routedBy: change_.routedBy, trace: copy(change_.trace ?? row.trace),
        version: row.version + 1, updatedAt: change_.now, firstOfferedAt: change_.state === 'offered' ? (row.firstOfferedAt ?? change_.now) : row.firstOfferedAt,
      });
      return true;
    },
    async recordEnrichment({ id, version, lead: enriched, domain, trace }) {
      const row = lead(id);
      if (!row || row.version !== version || row.state !== 'received') return false;
      change(id, { lead: copy(enriched), domain, enrichment: copy(trace) });
      return true;
    },
    async escalate({ id, version, reason, now, nextPingAt }) {
      const row = lead(id);
      if (!row || row.version !== version) return false;
      change(id, { state: 'escalated', version: version + 1, updatedAt: now, escalationReason: reason, escalatedAt: now, escalationPings: 1, escalationNextPingAt: nextPingAt });
      return true;
    },
    async markQueuedEscalated(id, now, nextPingAt) {
      change(id, { escalationReason: 'queued', escalatedAt: now, escalationPings: 1, escalationNextPingAt: nextPingAt });
    },
    async endEscalation(id) {
      change(id, { escalationNextPingAt: null });
    },
    async escalation(id) {
      const row = lead(id);
      return row ? { reason: row.escalationReason, escalatedAt: row.escalatedAt, pings: row.escalationPings, channel: row.escalationChannel, ts: row.escalationTs } : null;
    },
    async setEscalationMessage(id, channel, ts) {
      change(id, { escalationChannel: channel, escalationTs: ts });
    },
    async escalationsDue(now, limit) {
      return [...t.leads.values()]
        .filter((row) => row.escalationNextPingAt !== null && row.escalationNextPingAt <= now && (row.state === 'escalated' || row.state === 'queued'))
        .sort((a, b) => (a.escalationNextPingAt ?? 0) - (b.escalationNextPingAt ?? 0))
        .slice(0, limit)
        .map((row) => row.id);
    },
    async recordReping(id, nextPingAt) {
      const row = lead(id);
      if (row) change(id, { escalationPings: row.escalationPings + 1, escalationNextPingAt: nextPingAt });
    },
    async appendHistory(leadId, at, actor, event, detail) {
      j.append(t.history, { leadId, at, actor, event, detail: detail === undefined ? null : copy(detail) });
    },
    async appendHistoryMany(records) {
      for (const r of records) j.append(t.history, { leadId: r.leadId, at: r.at, actor: r.actor, event: r.event, detail: r.detail === null ? null : copy(r.detail) });
    },
    async getMany(ids) {
      return ids.flatMap((id) => {
        const row = lead(id);
        return row ? [stored(row)] : [];
      });
    },
    async escalationReasonsOf(ids) {
      const reasons = new Map<number, 'max_offers' | 'queued'>();
      for (const id of ids) {
        const reason = lead(id)?.escalationReason;
        if (reason) reasons.set(id, reason);
      }
      return reasons;
    },
    async applyRoutingMany(changes) {
      const changed = new Set<number>();
      for (const c of changes) if (await repo.applyRouting(c)) changed.add(c.id);
      return changed;
    },
    async history(leadId) {
      return t.history.filter((entry) => entry.leadId === leadId).map(({ leadId: _leadId, ...entry }) => copy(entry));
    },
    async trace(leadId) {
      return copy(lead(leadId)?.trace ?? null);
    },
    async findByExternalId(externalId) {
      return match([...t.leads.values()].find((row) => row.externalId === externalId));
    },
    async findOpenByKeys(keys, since) {
      const open = (row: LeadRecord) => row.receivedAt >= since && row.state !== 'done';
      const byEmail = keys.emailKey ? newest((row) => row.emailKey === keys.emailKey && open(row)) : undefined;
      if (byEmail) return { ...(match(byEmail) as NonNullable<ReturnType<typeof match>>), via: 'email' };
      const byLinkedIn = keys.linkedinKey ? newest((row) => row.linkedinKey === keys.linkedinKey && open(row)) : undefined;
      return byLinkedIn ? { ...(match(byLinkedIn) as NonNullable<ReturnType<typeof match>>), via: 'linkedin_url' } : null;
    },
    async findLatestByKey(key) {
      return newest((row) => ('emailKey' in key ? row.emailKey === key.emailKey : row.linkedinKey === key.linkedinKey))?.id ?? null;
    },
    // One transaction at a time: nobody can come in between.
    async lockDedupeKeys() {},
    async idsInState(state, limit, afterId = 0) {
      return [...t.leads.values()].filter((row) => row.state === state && row.id > afterId).sort((a, b) => a.id - b.id).slice(0, limit).map((row) => row.id);
    },
    async countInState(state) {
      return [...t.leads.values()].filter((row) => row.state === state).length;
    },
    async countWaiting() {
      const counts: Record<WaitingState, number> = { received: 0, offered: 0, queued: 0, escalated: 0 };
      for (const row of t.leads.values()) if (row.state in counts) counts[row.state as WaitingState] += 1;
      return counts;
    },
  };
  return repo;
}

function idempotencyRepository(t: Tables, j: Journal): IdempotencyRepository {
  return {
    async find(key, scope) {
      return t.idempotency.get(`${scope}\u0000${key}`) ?? null;
    },
    async record(key, scope, requestHash, leadId) {
      if (t.idempotency.has(`${scope}\u0000${key}`)) throw new Error(`UNIQUE constraint failed: idempotency key ${key}`);
      j.put(t.idempotency, `${scope}\u0000${key}`, { leadId, requestHash });
    },
  };
}

function offerRepository(t: Tables, j: Journal): OfferRepository {
  const ofLead = (leadId: number) => [...t.offers.values()].filter((offer) => offer.leadId === leadId).sort((a, b) => a.attempt - b.attempt);
  const pending = () => [...t.offers.values()].filter((offer) => offer.state === 'pending');
  const due = (list: StoredOffer[], at: (offer: StoredOffer) => number, limit: number): DueOffer[] =>
    list.sort((a, b) => at(a) - at(b) || a.id - b.id).slice(0, limit).map((offer) => ({ id: offer.id, leadId: offer.leadId, version: offer.version }));
  const change = (id: number, fields: Partial<StoredOffer>) => {
    const offer = t.offers.get(id);
    if (offer) j.put(t.offers, id, { ...offer, ...fields });
  };
  const repo: OfferRepository = {
    async create(offer) {
      if (ofLead(offer.leadId).some((o) => o.state === 'pending')) throw new Error('UNIQUE constraint failed: one pending offer per lead');
      const attempt = ofLead(offer.leadId).length + 1;
      const id = j.counter(t.ids, 'offer');
      j.put(t.offers, id, { id, ...offer, attempt, state: 'pending', version: 0, remindedAt: null, resolvedAt: null, reason: null, channelId: null, messageTs: null, reminderTs: null });
      return { id, attempt };
    },
    async createMany(offers) {
      if (new Set(offers.map((offer) => offer.leadId)).size < offers.length) throw new Error('createMany takes one offer per lead');
      const created: { id: number; attempt: number }[] = [];
      for (const offer of offers) created.push(await repo.create(offer));
      return created;
    },
    async countsOfLeads(leadIds) {
      const counts = new Map<number, number>();
      for (const id of leadIds) {
        const n = ofLead(id).length;
        if (n > 0) counts.set(id, n);
      }
      return counts;
    },
    async get(id) {
      return copy(t.offers.get(id)) ?? null;
    },
    async ofLead(leadId) {
      return copy(ofLead(leadId));
    },
    async pendingOfLead(leadId) {
      const offer = ofLead(leadId).find((o) => o.state === 'pending');
      return offer ? { id: offer.id, repId: offer.repId, version: offer.version, deadlineAt: offer.deadlineAt, remindAt: offer.remindAt, remindedAt: offer.remindedAt } : null;
    },
    async pendingOfRep(repId) {
      return due(pending().filter((offer) => offer.repId === repId), (offer) => offer.offeredAt, Number.POSITIVE_INFINITY);
    },
    async countOfLead(leadId) {
      return ofLead(leadId).length;
    },
    async currentCardOf(leadId) {
      const offers = ofLead(leadId);
      return offers.find((o) => o.state === 'pending')?.id ?? offers.filter((o) => o.state === 'claimed').at(-1)?.id ?? null;
    },
    async resolve({ id, version, state, reason, now }) {
      const offer = t.offers.get(id);
      if (!offer || offer.version !== version || offer.state !== 'pending') return false;
      change(id, { state, version: version + 1, resolvedAt: now, reason });
      return true;
    },
    async resolveMany({ offers, state, reason, now }) {
      return offers.flatMap(({ id, version }) => {
        const offer = t.offers.get(id);
        if (!offer || offer.version !== version || offer.state !== 'pending') return [];
        change(id, { state, version: version + 1, resolvedAt: now, reason });
        return [{ id, leadId: offer.leadId, repId: offer.repId, version, deadlineAt: offer.deadlineAt, remindAt: offer.remindAt, remindedAt: offer.remindedAt }];
      });
    },
    async markReminded(id, now) {
      const offer = t.offers.get(id);
      if (!offer || offer.state !== 'pending' || offer.remindedAt !== null) return false;
      change(id, { remindedAt: now });
      return true;
    },
    async takeDueDeadlines(now, limit) {
      return due(pending().filter((offer) => offer.deadlineAt <= now), (offer) => offer.deadlineAt, limit);
    },
    async takeDueReminders(now, limit) {
      return due(pending().filter((offer) => offer.remindedAt === null && offer.remindAt !== null && offer.remindAt <= now), (offer) => offer.remindAt ?? 0, limit);
    },
    async nextDeadlineAt() {
      const deadlines = pending().map((offer) => offer.deadlineAt);
      return deadlines.length === 0 ? null : Math.min(...deadlines);
    },
    async setMessage(id, channelId, ts) {
      change(id, { channelId, messageTs: ts });
    },
    async learnMessage(id, channelId, ts) {
      if (t.offers.get(id)?.messageTs === null) change(id, { channelId, messageTs: ts });
    },
    async setReminderMessage(id, ts) {
      change(id, { reminderTs: ts });
    },
  };
  return repo;
}

function routingRepository(t: Tables, j: Journal): RoutingRepository {
  const runtimeOf = (rep: Settings['reps'][number], now: number): RepRuntime => {
    const state = t.repState.get(rep.id);
    const dayStart = localDayStart(rep.timezone, now);
    return {
      awayUntil: state?.awayUntil ?? null,
      capacityOverride: state?.capacityOverride ?? null,
      openLeads: [...t.leads.values()].filter((lead) => lead.state === 'claimed' && lead.ownerId === rep.id).length,
      offersToday: [...t.offers.values()].filter((offer) => offer.repId === rep.id && offer.offeredAt >= dayStart).length,
      lastOfferAt: state?.lastOfferAt ?? null,
    };
  };
  const roundRobinOf = (teamId: string): RoundRobinState => {
    const passes = new Map<string, number>();
    for (const [key, pass] of t.passes) {
      const [team, rep] = key.split('\u0000');
      if (team === teamId && rep !== undefined) passes.set(rep, pass);
    }
    return { level: t.levels.get(teamId) ?? 0, passes };
  };
  const repo: RoutingRepository = {
    async lockForDecision() {},
    async loadReps(settings, repIds, now) {
      const wanted = new Set(repIds);
      return new Map(settings.reps.filter((rep) => wanted.has(rep.id)).map((rep) => [rep.id, runtimeOf(rep, now)]));
    },
    async loadRoundRobin(teamIds) {
      return new Map([...teamIds].map((teamId) => [teamId, roundRobinOf(teamId)]));
    },
    async loadLeadState(lead) {
      const accountOwners = new Map<string, string | null>();
      const owner = lead.domain === null ? undefined : t.accounts.get(lead.domain);
      if (lead.domain !== null && owner) accountOwners.set(lead.domain, owner.ownerId);
      const excludedReps = new Set([...t.offers.values()].filter((offer) => offer.leadId === lead.id && (offer.state === 'passed' || offer.state === 'expired')).map((offer) => offer.repId));
      return { accountOwners, excludedReps };
    },
    async loadTeamState(settings, now) {
      return {
        reps: new Map(settings.reps.map((rep) => [rep.id, runtimeOf(rep, now)])),
        roundRobin: new Map(settings.teams.map((team) => [team.id, roundRobinOf(team.id)])),
      };
    },
    async loadLeadStates(leads) {
      const states = new Map<number, Awaited<ReturnType<RoutingRepository['loadLeadState']>>>();
      for (const lead of leads) states.set(lead.id, await repo.loadLeadState(lead));
      return states;
    },
    async recordOffersMade(offers) {
      for (const { repId, now, roundRobin } of offers) {
        if (roundRobin) await repo.saveRoundRobin(roundRobin);
        await repo.recordOfferMade(repId, now);
      }
    },
    async saveRoundRobin(update) {
      j.put(t.passes, `${update.teamId}\u0000${update.repId}`, update.pass);
      j.put(t.levels, update.teamId, update.level);
    },
    async recordOfferMade(repId, now) {
      const state = t.repState.get(repId) ?? { awayUntil: null, capacityOverride: null, lastOfferAt: null };
      j.put(t.repState, repId, { ...state, lastOfferAt: now });
    },
  };
  return repo;
}

function availabilityRepository(t: Tables, j: Journal): AvailabilityRepository {
  const state = (repId: string) => t.repState.get(repId) ?? { awayUntil: null, capacityOverride: null, lastOfferAt: null };
  return {
    async awayOf(repId, now) {
      const until = state(repId).awayUntil;
      if (until === null || until <= now) return null;
      return { until: Number.isFinite(until) ? until : null };
    },
    async setAway(repId, until) {
      j.put(t.repState, repId, { ...state(repId), awayUntil: until ?? Number.POSITIVE_INFINITY });
    },
    async setBack(repId) {
      if (state(repId).awayUntil === null) return false;
      j.put(t.repState, repId, { ...state(repId), awayUntil: null });
      return true;
    },
    async returnsDue(now) {
      return [...t.repState].filter(([, s]) => s.awayUntil !== null && Number.isFinite(s.awayUntil) && s.awayUntil <= now).map(([repId]) => repId);
    },
  };
}

function accountOwnerRepository(t: Tables, j: Journal): AccountOwnerRepository {
  return {
    async get(domain) {
      return t.accounts.get(domain) ?? null;
    },
    async set(domain, ownerId, by, at) {
      j.put(t.accounts, domain, { ownerId, setBy: by, setAt: at });
    },
  };
}

function signalRepository(t: Tables, j: Journal): SignalRepository {
  const ofLead = (leadId: number) => t.signals.filter((s) => s.leadId === leadId);
  const fact = ({ channel, kind, at }: SignalFact): SignalFact => ({ channel, kind, at });
  return {
    async leadOfKey(key) {
      return t.signals.find((s) => s.key === key)?.leadId ?? null;
    },
    async insert(leadId, signal, key) {
      if (key !== null && t.signals.some((s) => s.key === key)) throw new Error(`UNIQUE constraint failed: signal key ${key}`);
      j.append(t.signals, { ...fact(signal), leadId, key });
    },
    async ofLead(leadId) {
      return ofLead(leadId).map(fact).sort((a, b) => a.at - b.at);
    },
    async recentOfLead(leadId, limit) {
      return ofLead(leadId).map((s, i) => ({ s, i })).sort((a, b) => b.s.at - a.s.at || b.i - a.i).slice(0, limit).map(({ s }) => fact(s));
    },
    async hasPositiveReply(leadId) {
      return ofLead(leadId).some((s) => s.kind === 'reply_positive');
    },
  };
}

function slackDeliveryLog(t: Tables, j: Journal): SlackDeliveryLog {
  return {
    async remember(key, at) {
      if (t.slackDeliveries.has(key)) return false;
      j.put(t.slackDeliveries, key, at);
      return true;
    },
    async forgetBefore(at) {
      for (const [key, receivedAt] of [...t.slackDeliveries]) if (receivedAt < at) j.remove(t.slackDeliveries, key);
    },
  };
}

function outbox(t: Tables, j: Journal): { outbox: Outbox; queue: OutboxQueue } {
  const pending = () => [...t.outbox.values()].filter((row) => row.state === 'pending').sort((a, b) => a.id - b.id);
  const change = (id: number, fields: Partial<OutboxRecord>) => {
    const row = t.outbox.get(id);
    if (row?.state === 'pending') j.put(t.outbox, id, { ...row, ...fields });
  };
  const isDue = (row: OutboxRecord, all: OutboxRecord[]) =>
    row.lane === 'card_update'
      ? !all.some((p) => p.messageKey === row.messageKey && p.id < row.id && p.lane !== 'card_update')
      : row.leadId === null || !all.some((p) => p.leadId === row.leadId && p.lane === row.lane && p.id < row.id);
  const toRow = (row: OutboxRecord): OutboxRow => ({ id: row.id, leadId: row.leadId, effect: copy(row.effect), lane: row.lane, attempts: row.attempts, createdAt: row.createdAt, messageKey: row.messageKey, changes: row.changes, priority: row.priority });
  const box: Outbox = {
    async enqueue(leadId, effect, now, priority = PRIORITY.background) {
      const key = messageKeyOf(effect);
      if (key !== null && laneOf(effect) === 'card_update') {
        const joined = pending().find((row) => row.messageKey === key && row.effect.type === effect.type);
        if (joined) {
          const sooner = priority < joined.priority;
          change(joined.id, { changes: joined.changes + 1, nextAttemptAt: sooner ? Math.min(joined.nextAttemptAt, now) : joined.nextAttemptAt, priority: sooner ? priority : joined.priority });
          return joined.id;
        }
      }
      const id = j.counter(t.ids, 'outbox');
      j.put(t.outbox, id, { id, leadId, effect: copy(effect), lane: laneOf(effect), state: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, result: null, createdAt: now, doneAt: null, messageKey: key, changes: 0, priority });
      return id;
    },
    async enqueueMany(rows, now) {
      for (const row of rows) await box.enqueue(row.leadId, row.effect, now, row.priority);
    },
    async hasPending(effect) {
      const key = messageKeyOf(effect);
      return key !== null && pending().some((row) => row.messageKey === key && row.effect.type === effect.type);
    },
    async hasPendingOfLeads(leadIds) {
      return pending().some((row) => row.leadId !== null && leadIds.includes(row.leadId));
    },
    async prioritize(messageKey, now) {
      for (const row of pending()) if (row.messageKey === messageKey && row.lane === 'card_update' && row.priority > PRIORITY.waiting) change(row.id, { priority: PRIORITY.waiting, nextAttemptAt: Math.min(row.nextAttemptAt, now) });
    },
    async rememberResponseUrl(messageKey, url, receivedAt, uses = 0) {
      const seen = t.responseUrls.get(messageKey);
      if (!seen || receivedAt >= seen.receivedAt) j.put(t.responseUrls, messageKey, { url, receivedAt, uses });
    },
    async usableResponseUrl(messageKey, now) {
      const row = usableResponseUrl(t.responseUrls.get(messageKey), now);
      return row && { ...row };
    },
    async usedResponseUrl(messageKey, url) {
      const row = t.responseUrls.get(messageKey);
      if (row?.url === url) j.put(t.responseUrls, messageKey, { ...row, uses: row.uses + 1 });
    },
    async spentResponseUrl(messageKey, url) {
      const row = t.responseUrls.get(messageKey);
      if (row?.url === url) j.put(t.responseUrls, messageKey, { ...row, uses: RESPONSE_URL_USES });
    },
    async forgetExpiredResponseUrls(now) {
      const expired = [...t.responseUrls].filter(([, row]) => row.receivedAt < now - RESPONSE_URL_LIFETIME_MS);
      for (const [key] of expired) j.remove(t.responseUrls, key);
      return expired.length;
    },
    async markDone(row, result, now) {
      const stored = t.outbox.get(row.id);
      if (stored?.state !== 'pending' || stored.changes !== row.changes) return false;
      change(row.id, { state: 'done', attempts: stored.attempts + 1, result: copy(result) ?? null, doneAt: now, lastError: null });
      return true;
    },
    async markRetry(id, error, nextAttemptAt) {
      const row = t.outbox.get(id);
      if (row) change(id, { attempts: row.attempts + 1, nextAttemptAt, lastError: error });
    },
    async defer(id, nextAttemptAt) {
      change(id, { nextAttemptAt });
    },
    async markFailed(id, error, now) {
      const row = t.outbox.get(id);
      if (row) change(id, { state: 'failed', attempts: row.attempts + 1, lastError: error, doneAt: now });
    },
  };
  const queue: OutboxQueue = {
    async claimDue({ now, limit, maxPriority = PRIORITY.background }) {
      const all = pending();
      return all
        .filter((row) => row.nextAttemptAt <= now && row.priority <= maxPriority && isDue(row, all))
        .sort((a, b) => a.priority - b.priority || a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
        .slice(0, limit)
        .map(toRow);
    },
    async nextDueAt(after = Number.MIN_SAFE_INTEGER) {
      const later = pending().filter((row) => row.nextAttemptAt > after);
      return later.length === 0 ? null : Math.min(...later.map((row) => row.nextAttemptAt));
    },
    async pendingIds() {
      return pending().map((row) => row.id);
    },
    async backlog(now) {
      const all = pending();
      const oldest = all.length === 0 ? null : Math.min(...all.map((row) => row.createdAt));
      return { pending: all.length, oldestAgeSeconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)) };
    },
    async failingWebhooks() {
      const byUrl = new Map<string, FailingWebhook>();
      for (const row of pending()) {
        if (row.effect.type !== 'webhook' || row.attempts === 0) continue;
        const seen = byUrl.get(row.effect.url);
        byUrl.set(row.effect.url, {
          url: row.effect.url,
          pending: (seen?.pending ?? 0) + 1,
          since: Math.min(seen?.since ?? row.createdAt, row.createdAt),
          lastError: [seen?.lastError ?? null, row.lastError].filter((e): e is string => e !== null).sort().at(-1) ?? null,
        });
      }
      return [...byUrl.values()].sort((a, b) => a.since - b.since);
    },
  };
  return { outbox: box, queue };
}

function readModels(t: Tables): ReadModels {
  const item = (lead: LeadRecord) => ({ leadId: lead.id, ref: leadRef(lead.id), lead: copy(lead.lead), domain: lead.domain });
  const inScope = (lead: LeadRecord, scope: { all: boolean; teamIds: string[] }) => scope.all || lead.teamId === null || scope.teamIds.includes(lead.teamId);
  const counts = (): OutcomeCounts => ({ offered: 0, claimed: 0, passed: 0, expired: 0 });
  return {
    async pendingOffersOfRep(repId) {
      return [...t.offers.values()]
        .filter((offer) => offer.repId === repId && offer.state === 'pending')
        .sort((a, b) => a.deadlineAt - b.deadlineAt || a.id - b.id)
        .flatMap((offer): PendingOfferItem[] => {
          const lead = t.leads.get(offer.leadId);
          return lead ? [{ ...item(lead), offerId: offer.id, offerVersion: offer.version, attempt: offer.attempt, offeredAt: offer.offeredAt, deadlineAt: offer.deadlineAt, why: offer.why }] : [];
        });
    },
    async openLeadsOfRep(repId) {
      return [...t.leads.values()]
        .filter((lead) => lead.ownerId === repId && lead.state === 'claimed')
        .sort((a, b) => (a.claimedAt ?? 0) - (b.claimedAt ?? 0) || a.id - b.id)
        .map((lead): OpenLeadItem => ({ ...item(lead), leadVersion: lead.version, claimedAt: lead.claimedAt }));
    },
    async queuedLeads(scope, limit) {
      const all = [...t.leads.values()].filter((lead) => lead.state === 'queued' && inScope(lead, scope)).sort((a, b) => a.updatedAt - b.updatedAt || a.id - b.id);
      return { items: all.slice(0, limit).map((lead): QueuedLeadItem => ({ ...item(lead), teamId: lead.teamId, since: lead.updatedAt, escalated: lead.escalatedAt !== null })), total: all.length };
    },
    async escalatedLeads(scope, limit) {
      const since = (lead: LeadRecord) => lead.escalatedAt ?? lead.updatedAt;
      const all = [...t.leads.values()].filter((lead) => lead.state === 'escalated' && inScope(lead, scope)).sort((a, b) => since(a) - since(b) || a.id - b.id);
      return {
        items: all.slice(0, limit).map((lead): EscalatedLeadItem => ({ ...item(lead), teamId: lead.teamId, since: since(lead), reason: lead.escalationReason, pings: lead.escalationPings })),
        total: all.length,
      };
    },
    async pendingOfferCounts() {
      const pending = new Map<string, number>();
      for (const offer of t.offers.values()) if (offer.state === 'pending') pending.set(offer.repId, (pending.get(offer.repId) ?? 0) + 1);
      return pending;
    },
    async offerOutcomes({ since7, since30, now }) {
      const byRep = new Map<string, { last7d: OutcomeCounts; last30d: OutcomeCounts }>();
      for (const offer of t.offers.values()) {
        if (offer.offeredAt < since30 || offer.offeredAt > now) continue;
        const entry = byRep.get(offer.repId) ?? { last7d: counts(), last30d: counts() };
        const windows = offer.offeredAt >= since7 ? [entry.last7d, entry.last30d] : [entry.last30d];
        for (const window of windows) {
          window.offered += 1;
          if (offer.state === 'claimed' || offer.state === 'passed' || offer.state === 'expired') window[offer.state] += 1;
        }
        byRep.set(offer.repId, entry);
      }
      return byRep;
    },
    async claimTimes({ since30, now }) {
      return [...t.offers.values()]
        .filter((offer) => offer.state === 'claimed' && offer.resolvedAt !== null && offer.offeredAt >= since30 && offer.offeredAt <= now)
        .map((offer) => ({ repId: offer.repId, offeredAt: offer.offeredAt, ms: (offer.resolvedAt ?? 0) - offer.offeredAt }))
        .sort((a, b) => a.ms - b.ms);
    },
  };
}

/** A transaction on the tables: a savepoint is a mark in the undo log. */
class MemoryTx extends TxBase {
  private readonly marks: number[] = [];

  constructor(
    repositories: ReadTx,
    private readonly journal: Journal,
  ) {
    super(repositories);
  }

  protected beginSavepoint(): void {
    this.marks.push(this.journal.mark());
  }

  protected releaseSavepoint(): void {
    this.marks.pop();
  }

  protected rollBackSavepoint(): void {
    this.journal.rollBackTo(this.marks.pop() ?? 0);
  }
}

export interface MemoryStoreOptions {
  /** Replaces repositories (a test's faulty one, say) before the unit of work uses them. */
  decorate?: (repositories: ReadTx) => ReadTx;
}

/** A new, empty in-memory store. */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const tables = new Tables();
  const journal = new Journal();
  const { outbox: box, queue } = outbox(tables, journal);
  const built: ReadTx = {
    leads: leadRepository(tables, journal),
    idempotency: idempotencyRepository(tables, journal),
    offers: offerRepository(tables, journal),
    routing: routingRepository(tables, journal),
    availability: availabilityRepository(tables, journal),
    accounts: accountOwnerRepository(tables, journal),
    signals: signalRepository(tables, journal),
    slackDeliveries: slackDeliveryLog(tables, journal),
    outbox: box,
  };
  const repositories = options.decorate ? options.decorate(built) : built;
  const inWork = new AsyncLocalStorage<true>();
  let last: Promise<unknown> = Promise.resolve();
  let open: Promise<unknown> | undefined;
  const soon = new Set<Promise<unknown>>();

  const transact = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const tx = new MemoryTx(repositories, journal);
    journal.open = true;
    let value: T;
    try {
      value = await inWork.run(true, () => work(tx));
    } catch (error) {
      journal.rollBackTo(0);
      throw error;
    } finally {
      journal.open = false;
      journal.clear();
    }
    for (const hook of tx.hooks) {
      try {
        hook();
      } catch (error) {
        // The commit stands (as on SQLite); the failure surfaces as an uncaught error in the test run.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    return value;
  };

  const uow: UnitOfWork = {
    run(work) {
      if (inWork.getStore()) return Promise.reject(new Error('memory store: run() inside a unit of work (a step of another use case takes the caller\'s tx)'));
      const result = last.then(() => transact(work));
      last = result.catch(() => undefined);
      open = last;
      return result;
    },
    async read(work) {
      if (inWork.getStore()) throw new Error('memory store: read() inside a unit of work (use the tx)');
      while (open) {
        const current: Promise<unknown> = open;
        await current;
        if (open === current) open = undefined;
      }
      return work(repositories);
    },
    soon(work) {
      const result = uow.run(work);
      const tracked = result.catch(() => undefined).finally(() => soon.delete(tracked));
      soon.add(tracked);
      return result;
    },
    async flush() {
      await Promise.all(soon);
    },
  };
  // Like every read, the queries outside the unit of work see committed state only.
  const committed = <T extends object>(queries: T): T =>
    Object.fromEntries(Object.entries(queries).map(([name, query]: [string, (...args: unknown[]) => Promise<unknown>]) => [name, (...args: unknown[]) => uow.read(() => query(...args))])) as T;
  return { uow, outboxQueue: committed(queue), readModels: committed(readModels(tables)) };
}
