/**
 * `npm run bench -- --api URL`: measure a stack that is already running (e.g. `npm run dev`)
 * instead of starting one. The bench also needs the stack's database, Temporal server and
 * simulators (to seed its payers and measure the ceilings beside it): from the environment, or
 * from the file `npm run dev` writes (.data/dev.env). Memory is read from the processes
 * listening on the API's and the worker's health ports, when they are Node processes on this
 * machine (not, say, docker-proxy in front of a container).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { FullStack } from '../stack/fullStack';
import { envWithDevStack } from '../stack/devEnv';

export type BenchStack = Pick<FullStack, 'apiUrls' | 'simulatorUrl' | 'databaseUrl' | 'temporalAddress' | 'stop'> & {
  pid(target: 'api-1' | 'worker-1' | 'mariadb' | 'temporal'): number | undefined;
};

/**
 * The pid of the local process listening on `url`'s port, if `ss` can see it: a Node process, or
 * with `anyProcess` any process but docker-proxy (in front of a container, its CPU and memory are
 * not the service's).
 */
function listenerPid(url: string | undefined, anyProcess = false): number | undefined {
  if (!url) return undefined;
  const { hostname, port, protocol } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) return undefined;
  const r = spawnSync('ss', ['-ltnpH', `sport = :${port || (protocol === 'https:' ? 443 : 80)}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(r.stdout ?? '')?.[1];
  if (!pid) return undefined;
  const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  const isNode = /node/.test(program);
  return isNode || (anyProcess && !/docker-proxy/.test(program)) ? Number(pid) : undefined;
}

export async function connectToRunningStack(apiUrl: string): Promise<BenchStack> {
  const env = envWithDevStack();
  const api = apiUrl.replace(/\/+$/, '');
  const missing = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SIMULATOR_URL'].filter((k) => !env[k]);
  if (missing.length > 0)
    throw new Error(
      `--api needs the stack's ${missing.join(', ')} (set them, or start the stack with npm run dev, which writes them to .data/dev.env)`,
    );
  const health = await fetch(`${api}/healthz`).catch((e: Error) => e);
  if (health instanceof Error || !health.ok)
    throw new Error(
      `--api ${api}: GET /healthz did not answer 200 (${health instanceof Error ? health.message : health.status})`,
    );
  const pids = {
    'api-1': listenerPid(api),
    'worker-1': listenerPid(env.WORKER_HEALTH_URL),
    mariadb: listenerPid(env.DATABASE_URL, true),
    temporal: listenerPid(`http://${env.TEMPORAL_ADDRESS}`, true),
  };
  return {
    apiUrls: [api],
    simulatorUrl: env.SIMULATOR_URL!,
    databaseUrl: env.DATABASE_URL!,
    temporalAddress: env.TEMPORAL_ADDRESS!,
    pid: (target) => pids[target],
    stop: async () => undefined, // not ours to stop
  };
}
