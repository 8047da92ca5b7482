/** The API process: `node --import tsx api/server.ts`. Also started in-process by tests. */
import { AddressInfo } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { Config, loadConfigOrExit } from '../config';
import { limitHeapGrowth } from '../config/engineProcess';
import { createKnex } from '../db/knex';
import { createLedger } from '../db/ledger';
import { createProviderGateways } from '../providers/gateways';
import { createApp } from './app';
import { createApiLogger } from './logger';
import { linkToTemporal } from './temporalLink';

export async function startApi(config: Config): Promise<{ url: string; close(): Promise<void> }> {
  const { logger, close: closeLogger } = createApiLogger(config.LOG_LEVEL);
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  // Made in the background: the API starts (and answers /healthz, /readyz) while Temporal is still coming up.
  const temporal = linkToTemporal({
    address: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    compression: config.TEMPORAL_GRPC_COMPRESSION,
    logger,
  });
  const app = createApp({
    config,
    knex,
    ledger: createLedger(knex),
    logger,
    temporal: temporal.client,
    readiness: [{ name: 'temporal', check: temporal.check }],
    gateways: createProviderGateways(config),
  });
  const server = app.listen(config.API_PORT, config.API_HOST);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'api listening');
  return {
    url: `http://${config.API_HOST}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.close();
      await knex.destroy();
      await closeLogger();
    },
  };
}

if (require.main === module) {
  limitHeapGrowth();
  // The native connection's runtime would listen for SIGINT and SIGTERM to stop workers; this
  // process has none, and stops itself below (letting requests in flight finish).
  Runtime.install({ shutdownSignals: [] });
  const config = loadConfigOrExit();
  startApi(config).then(
    (api) => {
      const stop = () => void api.close().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err) => {
      console.error('api failed to start:', err);
      process.exit(1);
    },
  );
}
