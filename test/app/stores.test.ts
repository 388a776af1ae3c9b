/**
 * The port contract and every use case, against each store (test/app/contract/stores.ts): the
 * in-memory implementation of the ports and SQLite. A new store is added to STORES, not here.
 */
import { describe } from 'vitest';
import { acceptLeadContract } from './contract/acceptLead.contract.ts';
import { leadViewsContract } from './contract/leadViews.contract.ts';
import { offerLifecycleContract } from './contract/offerLifecycle.contract.ts';
import { peopleContract } from './contract/people.contract.ts';
import { portsContract } from './contract/ports.contract.ts';
import { recordSignalContract } from './contract/recordSignal.contract.ts';
import { routeLeadContract } from './contract/routeLead.contract.ts';
import { STORES } from './contract/stores.ts';

describe.each(STORES)('on the %s store', (_name, factory) => {
  portsContract(factory);
  acceptLeadContract(factory);
  routeLeadContract(factory);
  offerLifecycleContract(factory);
  peopleContract(factory);
  recordSignalContract(factory);
  leadViewsContract(factory);
});
