import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createBbpsClient } from '../../providers/bbps/client';
import { createPayoutClient } from '../../providers/payout/client';
import { createPhonePeClient } from '../../providers/phonepe/client';
import { createRechargeClient } from '../../providers/recharge/client';
import { RunningSimulators, startSimulators } from '../../simulators/app';

export const PHONEPE_CREDS = {
  clientId: 'TEST_CLIENT',
  clientVersion: '1',
  clientSecret: 'test-client-secret',
  webhookUsername: 'test-hook-user',
  webhookPassword: 'test-hook-password',
};

export const PROVIDER_CREDS = {
  payout: { apiKey: 'test-payout-key', webhookSecret: 'test-payout-webhook-secret' },
  recharge: { apiKey: 'test-recharge-key', webhookSecret: 'test-recharge-webhook-secret' },
  bbps: { apiKey: 'test-bbps-key', webhookSecret: 'test-bbps-webhook-secret' },
};

/** All simulators; webhooks go to `phonePeWebhookUrl` and to `<apiBaseUrl>/v1/webhooks/<provider>`. */
export async function startTestSimulators(phonePeWebhookUrl?: string, apiBaseUrl?: string): Promise<RunningSimulators> {
  const hook = (p: string) => (apiBaseUrl ? { webhookUrl: `${apiBaseUrl}/v1/webhooks/${p}` } : {});
  return startSimulators({
    phonepe: { ...PHONEPE_CREDS, webhookUrl: phonePeWebhookUrl },
    payout: { ...PROVIDER_CREDS.payout, ...hook('payout') },
    recharge: { ...PROVIDER_CREDS.recharge, ...hook('recharge') },
    bbps: { ...PROVIDER_CREDS.bbps, ...hook('bbps') },
  });
}

export const payoutClientFor = (sims: RunningSimulators, timeoutMs = 2000) =>
  createPayoutClient({ baseUrl: `${sims.url}/payout`, apiKey: PROVIDER_CREDS.payout.apiKey, timeoutMs });
export const rechargeClientFor = (sims: RunningSimulators, timeoutMs = 2000) =>
  createRechargeClient({ baseUrl: `${sims.url}/recharge`, apiKey: PROVIDER_CREDS.recharge.apiKey, timeoutMs });
export const bbpsClientFor = (sims: RunningSimulators, timeoutMs = 2000) =>
  createBbpsClient({ baseUrl: `${sims.url}/bbps`, apiKey: PROVIDER_CREDS.bbps.apiKey, timeoutMs });

/** The control API of the BBPS, recharge or payout simulator, over HTTP as a developer would use it. */
export function simControl(sims: RunningSimulators, provider: 'payout' | 'recharge' | 'bbps') {
  const base = `${sims.url}/${provider}/__sim`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${base}${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    scenario: (s: {
      match?: string;
      outcome: string;
      pendingMs?: number;
      reverseAfterMs?: number;
      failureReason?: string;
      webhook?: string;
      webhookDelayMs?: number;
    }) => call('POST', '/scenarios', s),
    settle: (ref: string, outcome: 'success' | 'failure' | 'reversed') =>
      call('POST', `/transactions/${encodeURIComponent(ref)}/settle`, { outcome }),
    transaction: (ref: string) => call('GET', `/transactions/${encodeURIComponent(ref)}`),
    fault: (f: {
      endpoint: string;
      kind: 'error_5xx' | 'timeout_after_effect' | 'slow';
      count?: number;
      delayMs?: number;
    }) => call('POST', '/faults', f),
    clearFaults: () => call('DELETE', '/faults'),
    requests: () => call('GET', '/requests') as Promise<Array<{ method: string; path: string; body: any }>>,
    webhooks: () =>
      call('GET', '/webhooks') as Promise<
        Array<{ ref: string; phase: string; attempt: number; status: number | 'error' }>
      >,
    reset: () => call('POST', '/reset', {}),
    account: (a: { accountNumber: string; valid: boolean; nameAtBank?: string }) => call('POST', '/accounts', a),
  };
}

export function phonePeClientFor(sims: RunningSimulators, timeoutMs = 2000) {
  return createPhonePeClient({ baseUrl: `${sims.url}/phonepe`, ...PHONEPE_CREDS, timeoutMs });
}

/** A tiny local receiver standing in for our webhook endpoint. */
export async function webhookSink(status = 200) {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: any }> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      res.statusCode = sink.status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sink = {
    status,
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return sink;
}

export async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
