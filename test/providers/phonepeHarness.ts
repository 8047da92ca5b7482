/** The PhonePe simulator on loopback with a controllable clock, and a webhook receiver. */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createPhonePeClient, PhonePeClientOptions } from '../../providers/phonepe/client';
import { RunningPhonePeSimulator, startPhonePeSimulator } from '../../simulators/phonepe';

export const CREDS = { clientId: 'SIM_TEST_CLIENT', clientVersion: '1', clientSecret: 'sim-test-client-secret' };
export const HOOK = { username: 'sim-hook-user', password: 'sim-hook-password' };

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: any;
  at: number;
}

/** Stands in for our webhook endpoint; `answer` decides each response's status. */
export async function startSink() {
  const received: ReceivedWebhook[] = [];
  const sink = {
    received,
    answer: (_n: number) => 200,
    url: '',
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data), at: Date.now() });
      res.statusCode = sink.answer(received.length);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/phonepe`;
  return sink;
}
export type Sink = Awaited<ReturnType<typeof startSink>>;

/** The simulator's clock: real time plus whatever a test skipped ahead. */
export const simClock = {
  offsetMs: 0,
  now: () => Date.now() + simClock.offsetMs,
  advance(seconds: number) {
    simClock.offsetMs += seconds * 1000;
  },
};

export function startSim(webhookUrl: string): Promise<RunningPhonePeSimulator> {
  return startPhonePeSimulator({
    ...CREDS,
    webhookUsername: HOOK.username,
    webhookPassword: HOOK.password,
    webhookUrl,
    now: simClock.now,
  });
}

export function clientFor(sim: RunningPhonePeSimulator, more: Partial<PhonePeClientOptions> = {}) {
  return createPhonePeClient({ baseUrl: sim.baseUrl, ...CREDS, timeoutMs: 1000, ...more });
}

export async function eventually<T>(fn: () => T, ok: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whatever a promise rejects with (the test fails if it resolves). */
export async function failureOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure, got a result');
}
