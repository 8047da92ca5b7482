/** The simulators' process: `node --import tsx simulators/main.ts` (npm run dev and compose start it). */
import { loadConfigOrExit } from '../config';
import { startSimulators } from './app';

async function main() {
  // Stand-ins that accept any order and whose control API anyone can call: never beside real money.
  if (process.env.NODE_ENV === 'production') {
    console.error('nexaspay: the provider simulators never run with NODE_ENV=production');
    process.exit(1);
  }
  const config = loadConfigOrExit();
  const callbackBase = config.SIMULATOR_CALLBACK_BASE_URL ?? config.PUBLIC_BASE_URL;
  const sims = await startSimulators({
    host: config.SIMULATOR_HOST,
    port: config.SIMULATOR_PORT,
    publicBaseUrl: config.SIMULATOR_PUBLIC_URL,
    phonepe: {
      clientId: config.PHONEPE_CLIENT_ID,
      clientVersion: config.PHONEPE_CLIENT_VERSION,
      clientSecret: config.PHONEPE_CLIENT_SECRET,
      webhookUsername: config.PHONEPE_WEBHOOK_USERNAME,
      webhookPassword: config.PHONEPE_WEBHOOK_PASSWORD,
      webhookUrl: `${callbackBase}/v1/webhooks/phonepe`,
    },
    payout: {
      apiKey: config.PAYOUT_API_KEY,
      webhookSecret: config.PAYOUT_WEBHOOK_SECRET,
      webhookUrl: `${callbackBase}/v1/webhooks/payout`,
    },
    recharge: {
      apiKey: config.RECHARGE_API_KEY,
      webhookSecret: config.RECHARGE_WEBHOOK_SECRET,
      webhookUrl: `${callbackBase}/v1/webhooks/recharge`,
    },
    bbps: {
      apiKey: config.BBPS_API_KEY,
      webhookSecret: config.BBPS_WEBHOOK_SECRET,
      webhookUrl: `${callbackBase}/v1/webhooks/bbps`,
    },
  });
  console.log(
    `simulators listening on ${sims.url} (PhonePe, BBPS, recharge, payout at ${sims.url}/phonepe, /bbps, /recharge, /payout)`,
  );
  const stop = () => void sims.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error('simulators failed to start:', err);
  process.exit(1);
});
