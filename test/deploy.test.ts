/**
 * deploy/ cannot run here (no Docker engine, no Grafana), so this keeps it honest without them:
 * Prometheus's own promtool, at the compose image's version, checks the config, parses every rule
 * and dashboard query and runs the alerts' unit tests (deploy/prometheus/alerts.test.yml); the
 * files parse, compose mounts them where the configs look, and every metric a rule or panel
 * queries is one the API or the worker really exposes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { PROVIDER_CALL_METRIC } from '../activities/providerCall';
import { createMetrics } from '../api/middleware/metrics';
import { PROMETHEUS_VERSION } from '../scripts/stack/promtool';
import { promtool } from './support/promtool';

const root = path.join(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const alerts = parse(read('deploy/prometheus/alerts.yml'));
const prometheus = parse(read('deploy/prometheus/prometheus.yml'));
const dashboard = JSON.parse(read('deploy/grafana/dashboards/nexaspay-payments.json'));
const compose = parse(read('docker-compose.yml'), { merge: true });

/** Metric names as queried: a histogram's series end in _bucket, _sum or _count. */
function exposedNames(): Set<string> {
  // Nothing is collected here, so no database is needed: only the registered names are read.
  const registry: Registry = createMetrics({} as Knex, pino({ level: 'silent' })).registry;
  return new Set([...registry.getMetricsAsArray().map((m) => m.name), PROVIDER_CALL_METRIC]);
}
function queriedNames(expr: string): string[] {
  return [...expr.matchAll(/\bnexaspay_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

const rules = (alerts.groups as Array<{ rules: Array<Record<string, any>> }>).flatMap((g) => g.rules);
const panelExprs = (dashboard.panels as Array<{ targets: Array<{ expr: string }> }>).flatMap((p) =>
  p.targets.map((t) => t.expr),
);

it('alerts on stuck payments, reconciliation failure and provider failure rate', () => {
  const names = rules.map((r) => r.alert);
  for (const wanted of ['NexasPayPaymentsNeedAttention', 'NexasPayReconciliationFailed', 'NexasPayProviderFailureRate'])
    expect(names).toContain(wanted);
  for (const r of rules)
    expect([r.alert, typeof r.expr, typeof r.annotations?.summary]).toEqual([r.alert, 'string', 'string']);
});

it('passes promtool: the config, the rules, and every alert firing (and staying quiet) as its unit tests expect', () => {
  // Syntax only: the rule file and the token are paths inside the container.
  expect(promtool(['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml'])).toMatchObject({
    status: 0,
  });
  expect(promtool(['check', 'rules', 'deploy/prometheus/alerts.yml'])).toMatchObject({ status: 0 });
  const tests = promtool(['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
  expect(tests).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  // Every alert has a test that sees it fire.
  const checks = (parse(read('deploy/prometheus/alerts.test.yml')).tests as Array<{ alert_rule_test: any[] }>).flatMap(
    (t) => t.alert_rule_test as Array<{ alertname: string; exp_alerts: unknown[] }>,
  );
  const seenFiring = new Set(checks.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
  expect(rules.map((r) => r.alert).filter((a) => !seenFiring.has(a))).toEqual([]);
});

it('gives the dashboard only queries Prometheus parses', () => {
  for (const expr of panelExprs) {
    // Grafana fills in its own range variable before Prometheus sees the query.
    const parsed = promtool(['--experimental', 'promql', 'format', expr.replaceAll('$__rate_interval', '5m')]);
    expect([expr, parsed.status, parsed.output]).toEqual([expr, 0, expect.any(String)]);
  }
});

it('queries only metrics that exist, in the rules and in the dashboard', () => {
  const exposed = exposedNames();
  const queried = [...rules.map((r) => r.expr as string), ...panelExprs].flatMap(queriedNames);
  expect(queried.length).toBeGreaterThan(20);
  expect(queried.filter((n) => !exposed.has(n))).toEqual([]);
  // And every payment metric is looked at somewhere.
  const unused = [...exposed].filter((n) => n.startsWith('nexaspay_') && !queried.includes(n));
  expect(unused).toEqual([]);
});

it('shows histogram quantiles in seconds, the unit every histogram here is in', () => {
  const quantiles = (p: { targets: Array<{ expr: string }> }) =>
    p.targets.some((t) => t.expr.includes('histogram_quantile'));
  const panels = dashboard.panels.filter(quantiles);
  expect(panels.length).toBeGreaterThan(0);
  for (const p of panels) expect([p.title, p.fieldConfig?.defaults?.unit]).toEqual([p.title, 's']);
});

it('gives the dashboard unique panel ids on the provisioned data source', () => {
  const ids = dashboard.panels.map((p: { id: number }) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  const datasource = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')).datasources[0];
  for (const p of dashboard.panels) expect(p.datasource.uid).toBe(datasource.uid);
  expect(datasource.url).toBe('http://prometheus:9090');
});

it('mounts the configs where Prometheus and Grafana look, with the API token as a secret', () => {
  const prom = compose.services.prometheus;
  // The image runs the rules promtool tested.
  expect(prom.image).toBe(`prom/prometheus:v${PROMETHEUS_VERSION}`);
  const mounts = (svc: { volumes: string[] }) => svc.volumes.map((v) => v.split(':').slice(0, 2));
  expect(mounts(prom)).toEqual(
    expect.arrayContaining([
      ['./deploy/prometheus/prometheus.yml', '/etc/prometheus/prometheus.yml'],
      ['./deploy/prometheus/alerts.yml', prometheus.rule_files[0]],
    ]),
  );
  const api = prometheus.scrape_configs.find((c: { job_name: string }) => c.job_name === 'nexaspay-api');
  expect(api.authorization.credentials_file).toBe('/run/secrets/metrics_token');
  expect(prom.secrets).toContain('metrics_token');
  expect(compose.secrets.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
  expect(api.static_configs[0].targets).toEqual([`api:${compose.services.api.environment.API_PORT}`]);
  const worker = prometheus.scrape_configs.find((c: { job_name: string }) => c.job_name === 'nexaspay-worker');
  expect(String(worker.dns_sd_configs[0].port)).toBe(
    compose.services.worker.environment.WORKER_METRICS_ADDRESS.split(':')[1],
  );

  const grafana = compose.services.grafana;
  expect(grafana.image).toMatch(/^grafana\/grafana:/);
  expect(mounts(grafana)).toEqual(
    expect.arrayContaining([
      ['./deploy/grafana/provisioning', '/etc/grafana/provisioning'],
      [
        './deploy/grafana/dashboards',
        parse(read('deploy/grafana/provisioning/dashboards/nexaspay.yml')).providers[0].options.path,
      ],
    ]),
  );
});
