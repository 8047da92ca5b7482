/**
 * `npm run dev`: the whole system on one machine. Finds or builds the Temporal CLI, finds or
 * installs MariaDB and runs a private server with its data in .data/, migrates and seeds demo
 * data, starts the Temporal dev server (UI included), the worker and the API, prints every URL
 * and the demo logins, and stops everything on Ctrl-C. Data survives restarts.
 */
import { bundleConsole } from '../api/console/bundle';
import path from 'node:path';
import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrations';
import { DEMO_ADMIN_TOTP_SECRET, seedDemoData } from '../db/seed/demo';
import { twoFactorKeysOf } from '../db/twoFactor';
import { writeDevEnv } from './stack/devEnv';
import { exitOnMissingPrerequisite, step, timed } from './stack/log';
import { startPrivateDatabase } from './stack/mariadb';
import { dataDir, projectRoot } from './stack/paths';
import { portOpen, preferredPort, Started, startService, waitFor } from './stack/processes';
import { ensureTemporalCli } from './stack/temporalCli';
import { startTemporalDevServer } from './stack/temporalServer';

async function main(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('stopping…');
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const cli = await timed('finding the Temporal CLI', ensureTemporalCli);

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const db = await timed('starting MariaDB (data in .data/mysql)', async () =>
      startPrivateDatabase({
        dataDir: path.join(dataDir, 'mysql'),
        throwaway: false,
        database: 'nexaspay',
        port: await preferredPort(3307),
      }),
    );
    stops.push(db.stop);
    databaseUrl = db.url;
  }

  const temporal = await timed('starting the Temporal dev server (data in .data/temporal.db)', async () =>
    startTemporalDevServer({
      cli,
      dbFile: path.join(dataDir, 'temporal.db'),
      logFile: path.join(dataDir, 'temporal.log'),
      ui: true,
      port: await preferredPort(7233),
      uiPort: await preferredPort(8233),
    }),
  );
  stops.push(temporal.stop);

  const apiPort = process.env.API_PORT ? Number(process.env.API_PORT) : await preferredPort(3000);
  const simPort = process.env.SIMULATOR_PORT ? Number(process.env.SIMULATOR_PORT) : await preferredPort(4100);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    API_PORT: String(apiPort),
    SIMULATOR_PORT: String(simPort),
    PHONEPE_BASE_URL: process.env.PHONEPE_BASE_URL ?? `http://127.0.0.1:${simPort}/phonepe`,
    BBPS_BASE_URL: process.env.BBPS_BASE_URL ?? `http://127.0.0.1:${simPort}/bbps`,
    RECHARGE_BASE_URL: process.env.RECHARGE_BASE_URL ?? `http://127.0.0.1:${simPort}/recharge`,
    PAYOUT_BASE_URL: process.env.PAYOUT_BASE_URL ?? `http://127.0.0.1:${simPort}/payout`,
    WORKER_HEALTH_PORT: process.env.WORKER_HEALTH_PORT ?? String(await preferredPort(9465)),
    WORKER_METRICS_ADDRESS: process.env.WORKER_METRICS_ADDRESS ?? `127.0.0.1:${await preferredPort(9464)}`,
  };
  const config = loadConfigOrExit(env);
  writeDevEnv({
    NODE_ENV: config.NODE_ENV,
    DATABASE_URL: config.DATABASE_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    API_URL: config.PUBLIC_BASE_URL,
    SIMULATOR_URL: `http://127.0.0.1:${simPort}`,
    WORKER_HEALTH_URL: `http://127.0.0.1:${env.WORKER_HEALTH_PORT}`,
  });

  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 4 });
  const demo = await timed('migrating and seeding demo data', async () => {
    await migrateLatest(knex);
    return seedDemoData(knex, twoFactorKeysOf(config));
  });
  await knex.destroy();

  await timed('bundling the operations console', () => bundleConsole());

  const services: Array<[string, Started]> = [
    ['simulators', startService('simulators', path.join(projectRoot, 'simulators', 'main.ts'), env)],
    ['worker', startService('worker', path.join(projectRoot, 'worker.ts'), env)],
    ['api', startService('api', path.join(projectRoot, 'api', 'server.ts'), env)],
  ];
  for (const [name, s] of services) {
    stops.push(s.stop);
    s.child.on('exit', (code) => {
      if (!stopping) {
        console.error(`nexaspay: the ${name} stopped (exit ${code}); stopping the stack.`);
        void shutdown(1);
      }
    });
  }
  await timed('waiting for the API and the simulators', () =>
    waitFor('the API and simulators', async () => (await portOpen(apiPort)) && (await portOpen(simPort)), 60_000),
  );

  const api = config.PUBLIC_BASE_URL;
  console.log(`
NexasPay is running. Ctrl-C stops everything.

  API              ${api}/v1
  API docs         ${api}/docs   (OpenAPI: ${api}/openapi.json)
  Console          ${api}/console   (sign in as the demo admin below)
  Temporal UI      ${temporal.uiUrl}
  Simulators       http://127.0.0.1:${simPort}/{phonepe,bbps,recharge,payout}   (control APIs: /<provider>/__sim)
  Demo             npm run demo   (one payment of every kind through the API, with a summary)
  Worker           health http://127.0.0.1:${config.WORKER_HEALTH_PORT}/healthz · metrics http://${config.WORKER_METRICS_ADDRESS}/metrics
  Temporal gRPC    ${temporal.address}
  Database         ${config.DATABASE_URL}

Demo logins (POST ${api}/v1/auth/login with {"login": …, "password": …}):
${demo.map((u) => `  ${u.role.padEnd(12)} ${u.username.padEnd(16)} ${u.password.padEnd(18)} ${u.userCode}  balance ₹${u.balance}`).join('\n')}

The admin has two-factor on: the password answers with a challengeToken; send it with a code to
POST ${api}/v1/auth/login/2fa. The demo admin's TOTP secret is ${DEMO_ADMIN_TOTP_SECRET}
(add it to an authenticator app, or run \`npm run totp\` for the current code).
`);
}

main().catch(exitOnMissingPrerequisite);
