import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Ledger } from '../db/ledger';
import type { ProviderGateways } from '../providers/contracts';

export interface Readiness {
  name: string;
  check(): Promise<void>;
}

/** Everything routes may use, injected so tests build the app over their own database. */
export interface AppDeps {
  config: Config;
  knex: Knex;
  ledger: Ledger;
  logger: Logger;
  /** The workflow service's client: undefined until connected (api/temporalLink.ts); absent in suites that exercise no workflow. */
  temporal?: () => Client | undefined;
  readiness?: Readiness[];
  /** Payout (penny-drop), recharge and BBPS catalogues and bill fetches; absent → 503 on those routes. */
  gateways?: Partial<ProviderGateways>;
  /** Where the built console is (api/console/bundle.ts); the default build directory otherwise. */
  consoleDir?: string;
}
