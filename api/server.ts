/** The API process: `node --import tsx api/server.ts`. Also started in-process by tests. */
import { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { Config, loadConfigOrExit } from '../config';
import { limitHeapGrowth } from '../config/engineProcess';
import { createKnex } from '../db/knex';
import { createLedger } from '../db/ledger';
import { createProviderGateways } from '../providers/gateways';
import { createApp } from './app';

export async function startApi(config: Config): Promise<{ url: string; close(): Promise<void> }> {
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'api' } });
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  // Lazy: the API starts (and answers /healthz, /readyz) even while Temporal is still coming up.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({
    config,
    knex,
    ledger: createLedger(knex),
    logger,
    temporal,
    readiness: [{ name: 'temporal', check: async () => void (await connection.healthService.check({})) }],
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
      await connection.close();
      await knex.destroy();
    },
  };
}

if (require.main === module) {
  limitHeapGrowth();
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
