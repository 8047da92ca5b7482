/**
 * The short chaos run (`npm run chaos -- --payments 200 --quick`) as part of the suite: its own
 * stack of separate processes, 200 mixed payments under provider faults while workers, API
 * instances, the Temporal server and MariaDB are killed and restarted; every audit passes, and
 * the audit is shown to catch tampered books.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

it(
  '200 payments survive kill -9 of workers, APIs, Temporal and MariaDB with nothing lost or doubled',
  () => {
    const report = path.join(mkdtempSync(path.join(os.tmpdir(), 'nexaspay-chaos-report-')), 'report.json');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '..', 'scripts', 'chaos.ts'),
        '--payments',
        '200',
        '--quick',
        '--report',
        report,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_ENV: 'development' },
        timeout: 8 * 60_000,
      },
    );
    if (r.status !== 0) console.error(r.stdout.slice(-4000), r.stderr.slice(-4000));
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    expect(summary.violations).toEqual([]);
    expect(r.status).toBe(0);
    expect(Object.values(summary.outcomes as Record<string, number>).reduce((a, n) => a + n, 0)).toBe(200);
    expect(Object.keys(summary.crashes).sort()).toEqual([
      'api-1',
      'api-2',
      'mariadb',
      'temporal',
      'worker-1',
      'worker-2',
    ]);
    expect(Object.keys(summary.faults)).toHaveLength(5);
    expect(summary.auditSelfTest.missed).toEqual([]);
    expect(summary.auditSelfTest.caught.length).toBeGreaterThanOrEqual(4);
  },
  9 * 60_000,
);
