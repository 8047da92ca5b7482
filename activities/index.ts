/**
 * createActivities(deps) → every activity the worker registers. Activities are thin: they call
 * db/ and providers/, and their errors cross into Temporal through one mapping (failures.ts).
 */
import type { Knex } from 'knex';
import { createLedger, Ledger } from '../db/ledger';
import { withFailureMapping } from './failures';
import { reconciliationActivities } from './reconciliation';

export interface ActivityDeps {
  knex: Knex;
  ledger?: Ledger;
}

export function createActivities(deps: ActivityDeps) {
  const ledger = deps.ledger ?? createLedger(deps.knex);
  return withFailureMapping({
    ...reconciliationActivities({ knex: deps.knex, ledger }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
