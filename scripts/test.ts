/**
 * `npm test`: provisions a throwaway MariaDB server and Temporal dev server (the same way
 * `npm run dev` does, but in a temporary directory), typechecks, bundles the workflows once,
 * then runs the whole jest suite against them. Extra arguments go to jest
 * (`npm test -- ledger` runs the matching suites).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleConsole } from '../api/console/bundle';
import { ensureChromium } from './stack/chromium';
import { runGuardrails } from './stack/guardrails';
import { exitOnMissingPrerequisite, lastLines, ReportedFailure, step, timed } from './stack/log';
import { startPrivateDatabase } from './stack/mariadb';
import { dataDir, projectRoot } from './stack/paths';
import { ensurePromtool } from './stack/promtool';
import { ensureSchemathesis } from './stack/schemathesis';
import { ensureTemporalCli } from './stack/temporalCli';
import { startTemporalDevServer } from './stack/temporalServer';

async function main(): Promise<number> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'nexaspay-test-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(runDir, { recursive: true, force: true })];
  // Servers every suite shares: if one dies mid-run, every later suite fails with ECONNREFUSED,
  // so the run ends by saying which died, how, and what the machine looked like.
  const shared: SharedServer[] = [];
  try {
    // Runs beside the provisioning below; awaited before any test starts.
    // NEXASPAY_SKIP_TYPECHECK=1 is for iterating locally on a half-finished tree; CI always typechecks.
    const skip = process.env.NEXASPAY_SKIP_TYPECHECK === '1' && process.env.CI !== 'true';
    if (skip) step('typecheck skipped (NEXASPAY_SKIP_TYPECHECK=1); run `npm run typecheck` before committing');
    const typecheck = skip ? Promise.resolve() : timed('typechecking', () => typecheckProject());
    typecheck.catch(() => undefined); // handled where it is awaited; this only keeps Node from calling it unhandled
    const cli = await timed('finding the Temporal CLI', ensureTemporalCli);
    // apt-get (MariaDB's, then Chromium's) must not run twice at once: both find their binaries first.
    const chromium = await timed('finding Chromium for the console tests', async () => ensureChromium());
    const [adminUrl, temporal, bundlePath, schemathesis, consoleDir, promtool] = await Promise.all([
      process.env.DATABASE_URL
        ? Promise.resolve(process.env.DATABASE_URL.replace(/\/[^/]*$/, '/'))
        : timed('starting a throwaway MariaDB', async () => {
            const db = await startPrivateDatabase({
              dataDir: path.join(runDir, 'mysql'),
              throwaway: true,
              database: 'nexaspay_test',
            });
            cleanups.push(db.stop);
            shared.push({ name: 'MariaDB', exitStatus: db.exitStatus, log: db.errorLog });
            return db.adminUrl;
          }),
      timed('starting a throwaway Temporal dev server', async () => {
        const logFile = path.join(runDir, 'temporal.log');
        const t = await startTemporalDevServer({
          cli,
          dbFile: path.join(runDir, 'temporal.db'),
          logFile,
          ui: false,
          sqlite: 'throwaway',
        });
        cleanups.push(t.stop);
        shared.push({ name: 'Temporal dev server', exitStatus: t.exitStatus, log: logFile });
        return t;
      }),
      timed('bundling the workflows', async () => {
        const { code } = await bundleWorkflowCode({
          workflowsPath: require.resolve('../workflows'),
          logger: quietLogger,
        });
        const file = path.join(runDir, 'workflow-bundle.js');
        writeFileSync(file, code);
        return file;
      }),
      timed('finding the API fuzzer (schemathesis)', ensureSchemathesis),
      timed('bundling the operations console', async () => (await bundleConsole(path.join(runDir, 'console'))).outDir),
      timed('finding promtool for the alert tests', ensurePromtool),
    ]);
    await typecheck;

    // The format check and the type-aware lint run beside the suite; their findings fail the run.
    const guardrails = skip ? Promise.resolve(true) : runGuardrails({ print: false });
    step('running the test suite');
    const resultsFile = path.join(runDir, 'jest-results.json');
    // Component logs (the workers' expected warnings) go to files, shown only for failing suites.
    const logDir = path.join(dataDir, 'test-logs');
    rmSync(logDir, { recursive: true, force: true });
    const code = await new Promise<number>((resolve) => {
      const jest = spawn(
        process.execPath,
        [require.resolve('jest/bin/jest'), '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
        {
          cwd: projectRoot,
          stdio: 'inherit',
          env: {
            ...process.env,
            NODE_ENV: 'test',
            TEST_DB_ADMIN_URL: adminUrl,
            TEMPORAL_ADDRESS: temporal.address,
            TEMPORAL_CLI: cli,
            WORKFLOW_BUNDLE_PATH: bundlePath,
            TEST_LOG_DIR: logDir,
            SCHEMATHESIS_BIN: schemathesis,
            CHROMIUM_BIN: chromium,
            PROMTOOL_BIN: promtool,
            CONSOLE_DIR: consoleDir,
            TEST_ARTIFACT_DIR: path.join(dataDir, 'test-artifacts'),
          },
        },
      );
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => jest.kill(sig));
      jest.on('exit', (c) => resolve(c ?? 1));
    });
    printFailingSuiteLogs(resultsFile, logDir);
    const died = printDeadServers(shared, runDir);
    const clean = await timed('format check and lint', () => guardrails);
    printSummary(resultsFile);
    return clean && !died ? code : code || 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

/** The last lines of each failing suite's component log (the full files stay in .data/test-logs/). */
function printFailingSuiteLogs(resultsFile: string, logDir: string): void {
  if (!existsSync(resultsFile)) return;
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as { testResults: Array<{ name: string; status: string }> };
  for (const suite of r.testResults.filter((t) => t.status === 'failed')) {
    const file = path.join(logDir, `${path.basename(suite.name, '.ts')}.log`);
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    console.log(
      `\n── component log of ${path.relative(projectRoot, suite.name)} (last ${Math.min(80, lines.length)} of ${lines.length} lines; all in ${path.relative(projectRoot, file)}) ──`,
    );
    console.log(lines.slice(-80).join('\n'));
  }
}

interface SharedServer {
  name: string;
  exitStatus(): string | undefined;
  log: string;
}

/** Says which shared server stopped during the run, with its log's tail, disk and memory. */
function printDeadServers(servers: SharedServer[], runDir: string): boolean {
  const dead = servers.filter((s) => s.exitStatus() !== undefined);
  for (const s of dead) {
    console.log(`\n── the shared ${s.name} stopped during the run (${s.exitStatus()}); last lines of ${s.log} ──`);
    console.log(lastLines(s.log, 40).join('\n'));
  }
  if (dead.length > 0) {
    const disk = statfsSync(runDir);
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
    console.log(
      `── the machine now: ${gib(disk.bavail * disk.bsize)} free on ${runDir}'s disk, ${gib(os.freemem())} of ${gib(os.totalmem())} memory free ──`,
    );
    // A SIGKILL nobody sent is usually the kernel's out-of-memory killer, which says so here.
    const kernel = spawnSync('dmesg', ['--ctime'], { encoding: 'utf8' });
    if (kernel.status === 0) console.log(kernel.stdout.trimEnd().split('\n').slice(-15).join('\n'));
  }
  return dead.length > 0;
}

/** One plain line CI can read whatever the runner: `tests: N passed, N failed, N skipped`. */
function printSummary(resultsFile: string): void {
  if (!existsSync(resultsFile)) return;
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  console.log(
    `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
  );
}

/** The engine and the console (its own tsconfig: browser types, JSX). */
function typecheckProject(): Promise<void> {
  const check = (project: string) =>
    new Promise<void>((resolve, reject) => {
      const tsc = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', project], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      tsc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      tsc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new ReportedFailure(`typecheck failed:\n${out}`))));
    });
  return Promise.all([check(projectRoot), check(path.join(projectRoot, 'console'))]).then(() => undefined);
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

main().then(
  (code) => process.exit(code),
  (err) => {
    exitOnMissingPrerequisite(err);
  },
);
