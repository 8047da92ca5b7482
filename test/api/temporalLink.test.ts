/**
 * The API's link to Temporal (api/temporalLink.ts): while the server is unreachable there is no
 * client and readiness fails; once it answers, the link connects by itself and the client works.
 * "Temporal comes up later" is a TCP relay to the suite's dev server, opened after the link's
 * first attempts have failed.
 */
import http2 from 'node:http2';
import net from 'node:net';
import pino from 'pino';
import { linkToTemporal, TemporalLink } from '../../api/temporalLink';
import type { GrpcCompression } from '../../config';
import { freePort } from '../../scripts/stack/processes';
import { testEnv } from '../support/env';
import { eventually } from '../support/simulators';
import { installTestRuntime } from '../support/temporal';

const logger = pino({ level: 'silent' });

/** Forwards every connection on `port` to the suite's Temporal server. */
async function relayToTemporal(port: number): Promise<net.Server> {
  const [host, target] = testEnv.temporalAddress.split(':') as [string, string];
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(Number(target), host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  relay.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
  return relay;
}

let link: TemporalLink | undefined;
let relay: net.Server | undefined;
beforeAll(() => installTestRuntime());
afterEach(async () => {
  await link?.close();
  if (relay) await new Promise<void>((r) => relay!.close(() => r()));
  link = relay = undefined;
});

it('has no client and is not ready while Temporal is unreachable, and connects once it answers', async () => {
  // A free port, closed again: nothing listens on it until the relay opens it.
  const port = await freePort();
  link = linkToTemporal({ address: `127.0.0.1:${port}`, namespace: 'default', compression: 'none', logger });
  // Long enough for the first attempts to fail and the retries to back off.
  await new Promise((r) => setTimeout(r, 600));
  expect(link.client()).toBeUndefined();
  await expect(link.check()).rejects.toThrow('not connected yet');

  relay = await relayToTemporal(port);
  await eventually(
    () => link!.client(),
    (client) => client !== undefined,
    20_000,
  );
  await expect(link.check()).resolves.toBeUndefined();
  // The client works: the server lists the namespace it serves.
  const ns = await link.client()!.workflowService.describeNamespace({ namespace: 'default' });
  expect(ns.namespaceInfo?.name).toBe('default');
});

it('stops trying once closed', async () => {
  const port = await freePort();
  link = linkToTemporal({ address: `127.0.0.1:${port}`, namespace: 'default', compression: 'none', logger });
  await link.close();
  relay = await relayToTemporal(port);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(link.client()).toBeUndefined();
});

/** The gRPC headers of the first call the link makes, from a server that refuses every call. */
async function firstCallHeaders(compression: GrpcCompression): Promise<http2.IncomingHttpHeaders> {
  const server = http2.createServer();
  const seen = new Promise<http2.IncomingHttpHeaders>((resolve) =>
    server.on('stream', (stream, headers) => {
      resolve(headers);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' }, { endStream: true });
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  link = linkToTemporal({ address: `127.0.0.1:${port}`, namespace: 'default', compression, logger });
  try {
    return await seen;
  } finally {
    await link.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

it('sends its calls uncompressed unless configured to gzip them (TEMPORAL_GRPC_COMPRESSION)', async () => {
  const plain = await firstCallHeaders('none');
  expect(plain['content-type']).toBe('application/grpc');
  expect(plain['grpc-encoding']).toBeUndefined();
  expect(plain['grpc-accept-encoding'] ?? '').not.toContain('gzip');
  const gzipped = await firstCallHeaders('gzip');
  expect(gzipped['grpc-encoding']).toBe('gzip');
});
