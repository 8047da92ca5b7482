import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createPhonePeClient } from '../../providers/phonepe/client';
import { RunningSimulators, startSimulators } from '../../providers/simulatorApp';

export const PHONEPE_CREDS = {
  clientId: 'TEST_CLIENT',
  clientVersion: '1',
  clientSecret: 'test-client-secret',
  webhookUsername: 'test-hook-user',
  webhookPassword: 'test-hook-password',
};

export async function startTestSimulators(webhookUrl?: string): Promise<RunningSimulators> {
  return startSimulators({ phonepe: { ...PHONEPE_CREDS, webhookUrl } });
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
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
