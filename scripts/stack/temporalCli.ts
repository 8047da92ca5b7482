import { ensureGoTool } from './goTool';

/** The one CLI version we build: the newest tag installable with `go install`; bundles server 1.29.1 and the UI. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/**
 * The Temporal CLI: $TEMPORAL_CLI, then the tool cache, then `temporal` on PATH; built into the
 * tool cache with `go install` when none exists.
 */
export const ensureTemporalCli = (): Promise<string> =>
  ensureGoTool({
    label: 'the Temporal CLI',
    module: TEMPORAL_CLI_MODULE,
    envVar: 'TEMPORAL_CLI',
    onPath: 'temporal',
    minGo: [1, 25],
  });
