import type { ReadTx, Tx } from './ports.ts';

/**
 * What every store's transaction object shares (SQLite's, the in-memory one of the tests, a next
 * store's): the repositories, the after-commit hooks and the scratch memory. A store supplies the
 * savepoint (`mark` → `undo`) — the part that is its own technology.
 */
export abstract class TxBase implements Tx {
  readonly leads: Tx['leads'];
  readonly idempotency: Tx['idempotency'];
  readonly offers: Tx['offers'];
  readonly routing: Tx['routing'];
  readonly availability: Tx['availability'];
  readonly accounts: Tx['accounts'];
  readonly signals: Tx['signals'];
  readonly slackDeliveries: Tx['slackDeliveries'];
  readonly outbox: Tx['outbox'];
  /** The after-commit hooks, in the order registered: the unit of work runs them once it committed. */
  readonly hooks: (() => void)[] = [];

  constructor(
    repositories: ReadTx,
    /** Shared by the works of one transaction (SQLite commits several together). */
    private readonly shared: Map<symbol, unknown> = new Map(),
  ) {
    this.leads = repositories.leads;
    this.idempotency = repositories.idempotency;
    this.offers = repositories.offers;
    this.routing = repositories.routing;
    this.availability = repositories.availability;
    this.accounts = repositories.accounts;
    this.signals = repositories.signals;
    this.slackDeliveries = repositories.slackDeliveries;
    this.outbox = repositories.outbox;
  }

  /** Starts a savepoint. */
  protected abstract beginSavepoint(): void | Promise<void>;
  /** Ends the savepoint begun last, keeping its writes. */
  protected abstract releaseSavepoint(): void | Promise<void>;
  /** Undoes the writes of the savepoint begun last, and ends it. */
  protected abstract rollBackSavepoint(): void | Promise<void>;

  afterCommit(hook: () => void): void {
    this.hooks.push(hook);
  }

  async savepoint<T>(part: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks = this.hooks.length;
    await this.beginSavepoint();
    let value: T;
    try {
      value = await part(this);
    } catch (error) {
      await this.rollBackSavepoint();
      this.hooks.length = hooks;
      this.shared.clear();
      throw error;
    }
    await this.releaseSavepoint();
    return value;
  }

  scratch<T>(key: symbol, create: () => T): T {
    if (!this.shared.has(key)) this.shared.set(key, create());
    return this.shared.get(key) as T;
  }
}
