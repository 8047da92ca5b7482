import path from 'node:path';
import { ensureGoTool } from './goTool';
import { toolCache } from './paths';

/**
 * Prometheus's own checker, at the version of the Prometheus image in docker-compose.yml
 * (3.16.0 is Go module v0.316.0), so the alert rules are tested by the engine that runs them.
 */
export const PROMETHEUS_VERSION = '3.16.0';
/** Prometheus 3.x.y is tagged v0.3xx.y as a Go module. */
const PROMTOOL_MODULE = 'github.com/prometheus/prometheus/cmd/promtool@v0.316.0';

/** $PROMTOOL, or promtool built once into the tool cache (a directory per version: any other would test other semantics). */
export const ensurePromtool = (): Promise<string> =>
  ensureGoTool(
    {
      label: `promtool ${PROMETHEUS_VERSION}`,
      module: PROMTOOL_MODULE,
      envVar: 'PROMTOOL',
      minGo: [1, 26],
      // Without the cloud service discoveries (AWS, Azure, GCE, ...): prometheus.yml uses DNS only.
      buildTags: ['remove_all_sd', 'enable_dns_sd'],
    },
    path.join(toolCache, 'bin', `prometheus-${PROMETHEUS_VERSION}`),
  );
