/** The benchmark's turns: every load is measured in every round, the order rotating between rounds. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpLoadsTakingTurns } from '../../scripts/bench/load';

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

async function answering(body: string): Promise<string> {
  const server = http.createServer((_req, res) => res.end(body));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

it('takes turns in a rotating order, so no load always follows the same other', async () => {
  const targets = [{ url: await answering('a') }, { url: await answering('b') }, { url: await answering('c') }];
  const order: number[] = [];
  const figures = await httpLoadsTakingTurns({ connections: 1, seconds: 1.5, rounds: 3 }, targets, (k, window) => {
    order.push(k);
    return window();
  });
  expect(order).toEqual([0, 1, 2, 1, 2, 0, 2, 0, 1]);
  for (const f of figures) {
    expect(f.count).toBeGreaterThan(0);
    expect(f.errors).toBe(0);
  }
}, 60_000);
