/**
 * docker-compose.yml cannot run here (no Docker engine), so this keeps it honest statically:
 * it parses, has the production-shaped services, and its environment matches the one config
 * schema that the processes parse at start-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { knownVariables, loadConfig, requiredInProduction } from '../config';
import { ENGINE_ENV, ENGINE_NODE_FLAGS } from '../config/engineProcess';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../scripts/stack/temporalServer';
import { SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const root = path.join(__dirname, '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = compose.services as Record<string, Record<string, any>>;
const ENGINE = ['api', 'worker', 'migrate', 'simulators'];

/** ${VAR:?msg} and ${VAR:-default} as compose resolves them, with plausible values for secrets. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+)(?::([?-])([^}]*))?\}/g, (_m, name: string, op?: string, rest?: string) =>
    op === '-'
      ? (rest ?? '')
      : name.endsWith('ENCRYPTION_KEY')
        ? Buffer.alloc(32, 7).toString('base64')
        : name.endsWith('_URL')
          ? `https://${name.toLowerCase().replace(/_/g, '-')}.example.in`
          : `${name.toLowerCase()}-value-long-enough-for-any-secret-check`,
  );
}
const envOf = (svc: string) =>
  Object.fromEntries(Object.entries(services[svc]!.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

it('has the production-shaped services', () => {
  for (const s of ['mysql', 'temporal', 'temporal-setup', 'temporal-ui', 'migrate', 'api', 'worker', 'simulators'])
    expect(services[s]).toBeDefined();
  expect(services.mysql!.image).toMatch(/^mysql:8/);
  expect(services.temporal!.environment.DB).toBe('mysql8');
  expect(services.temporal!.image).toMatch(/1\.29\./);
});

it('sets only variables the config schema knows, and everything production requires', () => {
  const known = new Set(knownVariables());
  for (const svc of ENGINE) {
    for (const name of Object.keys(services[svc]!.environment))
      expect({ svc, name, known: known.has(name) }).toEqual({ svc, name, known: true });
  }
  for (const svc of ['api', 'worker', 'migrate']) {
    for (const name of requiredInProduction())
      expect({ svc, name, set: name in services[svc]!.environment }).toEqual({ svc, name, set: true });
    expect(services[svc]!.environment.NODE_ENV).toBe('production');
  }
});

it('passes the config schema once interpolated, and never defaults a secret', () => {
  for (const svc of ENGINE) expect(() => loadConfig(envOf(svc))).not.toThrow();
  for (const secret of [
    'JWT_SECRET',
    'PHONEPE_CLIENT_SECRET',
    'PHONEPE_WEBHOOK_PASSWORD',
    'BBPS_WEBHOOK_SECRET',
    'RECHARGE_WEBHOOK_SECRET',
    'PAYOUT_WEBHOOK_SECRET',
    'BENEFICIARY_ENCRYPTION_KEY',
    'BENEFICIARY_HASH_KEY',
    'TWO_FACTOR_ENCRYPTION_KEY',
    'KYC_ENCRYPTION_KEY',
  ]) {
    expect(String(services.api!.environment[secret])).toMatch(/^\$\{[A-Z_]+:\?/);
  }
  expect(String(services.api!.environment.DATABASE_URL)).toContain('${MYSQL_PASSWORD:?');
});

it('registers exactly the search attributes the code defines', () => {
  const cmd = String(services['temporal-setup']!.command.join(' '));
  const registered = Object.fromEntries([...cmd.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => [m[1], m[2]]));
  expect(registered).toEqual(SEARCH_ATTRIBUTES);
});

it('orders start-up: migrations before api and worker, Temporal before both; workers scale', () => {
  expect(services.api!.depends_on.migrate.condition).toBe('service_completed_successfully');
  expect(services.worker!.depends_on.migrate.condition).toBe('service_completed_successfully');
  expect(services.worker!.depends_on['temporal-setup'].condition).toBe('service_completed_successfully');
  expect(services.api!.depends_on.temporal.condition).toBe('service_healthy');
  expect(services.migrate!.depends_on.mysql.condition).toBe('service_healthy');
  expect(services.worker!.container_name).toBeUndefined();
  expect(services.worker!.ports).toBeUndefined();
  for (const svc of ENGINE) {
    const entry = services[svc]!.command[services[svc]!.command.length - 1];
    expect({ svc, entry, exists: existsSync(path.join(root, entry)) }).toEqual({ svc, entry, exists: true });
  }
});

it('builds a non-root image with npm ci and pre-bundled workflows', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^FROM node:20/m);
  expect(dockerfile).toMatch(/npm ci --omit=dev/);
  // npm ci's postinstall applies patches/ (patch-package, a runtime dependency for that reason).
  expect(dockerfile.indexOf('COPY patches ./patches')).toBeGreaterThan(-1);
  expect(dockerfile.indexOf('COPY patches ./patches')).toBeLessThan(dockerfile.indexOf('RUN npm ci'));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  expect(pkg.scripts.postinstall).toMatch(/^patch-package --error-on-fail/);
  expect(pkg.dependencies['patch-package']).toBeDefined();
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/WORKFLOW_BUNDLE_PATH/);
  expect(dockerfile).not.toMatch(/SECRET|PASSWORD/);
});

it('installs without reporting to anyone: the install-time analytics a dependency ships are opted out', () => {
  // swagger-ui-dist (a runtime dependency: the /docs page) pulls in @scarf/scarf, whose install
  // script sends the install's details to scarf.sh wherever npm runs install scripts (npm 10, the
  // one Node 20 and its image ship). Its own documented opt-out is read from the root package.json.
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const scarf = Object.keys(lock.packages).filter((p) => p.endsWith('node_modules/@scarf/scarf'));
  // Should it ever leave the tree, the opt-out and this test can go with it.
  expect(scarf.length).toBeGreaterThan(0);
  expect(pkg.scarfSettings).toEqual({ enabled: false });
});

it('checks the worker through its health endpoint, gives it a grace period, and keeps Terminate out of the UI', () => {
  const worker = services.worker!;
  expect(worker.healthcheck.test.join(' ')).toContain(`127.0.0.1:${worker.environment.WORKER_HEALTH_PORT}/healthz`);
  expect(Number(worker.environment.WORKER_ACTIVITY_SLOTS)).toBeLessThanOrEqual(Number(worker.environment.DB_POOL_MAX));
  expect(parseInt(worker.stop_grace_period, 10)).toBeGreaterThan(
    Number(worker.environment.WORKER_SHUTDOWN_GRACE_SECONDS),
  );
  expect(services['temporal-ui']!.environment.TEMPORAL_WORKFLOW_TERMINATE_DISABLED).toBe('true');
});

it('refuses more activity slots than database connections', () => {
  const env = { ...envOf('worker'), DB_POOL_MAX: '10', WORKER_ACTIVITY_SLOTS: '11' };
  expect(() => loadConfig(env)).toThrow(
    /WORKER_ACTIVITY_SLOTS: 11 activities at once would wait on a pool of DB_POOL_MAX=10/,
  );
});

it("runs the image's processes with the V8 flags and malloc settings the dev and bench stacks use", () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  for (const [k, v] of Object.entries(ENGINE_ENV)) expect(dockerfile).toContain(`ENV ${k}=${v}\n`);
  // Per process, on its command: NODE_OPTIONS would give the API the worker's flags.
  expect(dockerfile).not.toContain('NODE_OPTIONS');
  const flagsOf = (command: string[]) => command.slice(1, command.indexOf('--import'));
  expect(flagsOf(JSON.parse(/^CMD (.*)$/m.exec(dockerfile)![1]!))).toEqual(ENGINE_NODE_FLAGS.api);
  expect(flagsOf(services.api!.command)).toEqual(ENGINE_NODE_FLAGS.api);
  expect(flagsOf(services.worker!.command)).toEqual(ENGINE_NODE_FLAGS.worker);
});

it('keeps the simulators out of production: a sandbox profile, no published port, development mode', () => {
  const sims = services.simulators!;
  expect(sims.profiles).toEqual(['sandbox']);
  expect(sims.ports).toBeUndefined();
  expect(sims.environment.NODE_ENV).toBe('development');
  for (const svc of ['api', 'worker', 'migrate']) {
    const env = envOf(svc);
    for (const [name, value] of Object.entries(env)) {
      if (name.endsWith('_URL') && name !== 'DATABASE_URL')
        expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^https:/) });
    }
  }
});

it("sets the dev server's Temporal dynamic config, but for the search attributes' cache refresh it needs", () => {
  const yaml = parse(readFileSync(path.join(root, 'deploy', 'temporal', 'dynamicconfig.yaml'), 'utf8')) as Record<
    string,
    Array<{ value: unknown }>
  >;
  const REFRESH = 'system.forceSearchAttributesCacheRefreshOnRead';
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
    // temporal-setup registers the attributes after the server starts (the file's comment).
    const expected = key === REFRESH ? true : value;
    expect({ key, value: yaml[key]?.[0]?.value }).toEqual({ key, value: expected });
  }
});
