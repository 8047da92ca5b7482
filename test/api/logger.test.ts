import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The API's logger is exercised in a fresh Node process (its exit is part of what is tested),
 * with the logger module loaded as `logger`.
 */
const script = (body: string) =>
  `const logger = require(${JSON.stringify(path.resolve(__dirname, '../../api/logger'))});\n${body}`;
const node = (body: string) => [process.execPath, ['--import', 'tsx', '-e', script(body)]] as const;

const tmpFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'logger-')), 'api.log');
const linesOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { i: number; service: string; msg: string; level: number });

describe("the API's logger (asynchronous lines)", () => {
  it('writes every line logged before a process.exit, though they are buffered', () => {
    const file = tmpFile();
    const [cmd, args] = node(`
      const fd = require('node:fs').openSync(${JSON.stringify(file)}, 'a');
      const { logger: log } = logger.createApiLogger('info', { fd });
      for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
      process.exit(0);
    `);
    const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    expect([run.status, run.stderr]).toEqual([0, '']);
    const lines = linesOf(readFileSync(file, 'utf8'));
    expect(lines.map((l) => l.i)).toEqual([...Array(5000).keys()]);
    expect(lines[0]).toMatchObject({ service: 'api', msg: 'line', level: 30 });
  });

  it('close() writes what is buffered, in order, before it resolves (a stop does not rely on the exit flush)', () => {
    const file = tmpFile();
    // reallyExit skips the 'exit' handlers, pino's flush among them: only close() wrote the lines.
    const [cmd, args] = node(`
      const fd = require('node:fs').openSync(${JSON.stringify(file)}, 'a');
      const { logger: log, close } = logger.createApiLogger('info', { fd });
      for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
      close().then(() => process.reallyExit(0));
    `);
    const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(linesOf(readFileSync(file, 'utf8')).map((l) => l.i)).toEqual([...Array(5000).keys()]);
  });

  it('drops and counts lines past its cap while stdout stalls; every line is either written whole or counted', async () => {
    // stdout is a pipe this test does not read until the child reports: it fills (64 kB), then
    // the logger's buffer does. Lines are logged across event-loop turns, so a stdout that was
    // read would take them all.
    const [cmd, args] = node(`
      const { logger: log, close } = logger.createApiLogger('info', { capBytes: 256 * 1024 });
      let i = 0;
      const batch = () => {
        for (let k = 0; k < 100; k++, i++) log.info({ i, pad: 'x'.repeat(100) }, 'line');
        if (i < 20000) return setImmediate(batch);
        setTimeout(() => {
          process.stderr.write('dropped ' + logger.droppedLogLines() + '\\n');
          close(20000).then(() => process.exit(0));
        }, 200);
      };
      batch();
    `);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('\n')) child.stdout.resume();
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const dropped = Number(/^dropped (\d+)$/m.exec(stderr)?.[1]);
    const written = linesOf(stdout);
    expect(dropped).toBeGreaterThan(10_000);
    expect(written.length + dropped).toBe(20_000);
    // What was written is in order, whole lines only.
    expect(written.every((l, k) => k === 0 || l.i > written[k - 1]!.i)).toBe(true);
  });

  it('when stdout fails, drops and counts lines instead of crashing, and still exits', () => {
    // A file opened read-only: every write to it fails (EBADF).
    const file = tmpFile();
    const [cmd, args] = node(`
      const fs = require('node:fs');
      fs.writeFileSync(${JSON.stringify(file)}, '');
      const { logger: log } = logger.createApiLogger('info', { fd: fs.openSync(${JSON.stringify(file)}, 'r') });
      log.info('first');
      setTimeout(() => {
        for (let i = 0; i < 100; i++) log.info({ i }, 'line');
        process.stdout.write('dropped ' + logger.droppedLogLines() + '\\n');
        process.exit(0);
      }, 200);
    `);
    const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('writing log lines failed (EBADF); dropping them from now on');
    expect(run.stdout).toBe('dropped 100\n');
  });
});
