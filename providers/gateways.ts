/** The payout, recharge and BBPS clients a process needs, built from config (worker and API). */
import type { Config } from '../config';
import { createBbpsClient } from './bbps/client';
import type { ProviderGateways } from './contracts';
import { createPayoutClient } from './payout/client';
import { createRechargeClient } from './recharge/client';

export function createProviderGateways(config: Config): ProviderGateways {
  const timeoutMs = config.PROVIDER_TIMEOUT_MS;
  return {
    payout: createPayoutClient({ baseUrl: config.PAYOUT_BASE_URL, apiKey: config.PAYOUT_API_KEY, timeoutMs }),
    recharge: createRechargeClient({ baseUrl: config.RECHARGE_BASE_URL, apiKey: config.RECHARGE_API_KEY, timeoutMs }),
    bbps: createBbpsClient({ baseUrl: config.BBPS_BASE_URL, apiKey: config.BBPS_API_KEY, timeoutMs }),
  };
}
