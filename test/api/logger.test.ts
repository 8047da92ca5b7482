import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs `body` in a fresh Node process with the API's logger module loaded as `logger`. */
const script = (body: string) =>
  `const logger = require(${JSON.stringify(path.resolve(__dirname, '../../api/logger'))});\n${body}`;

describe("the API's logger (asynchronous lines)", () => {
  it('writes every line logged before a process.exit, though they are buffered', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'logger-')), 'api.log');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        script(`
          const fd = require('node:fs').openSync(${JSON.stringify(file)}, 'a');
          const log = logger.createApiLogger('info', { fd });
          for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
          process.exit(0);
        `),
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.i)).toEqual([...Array(5000).keys()]);
    expect(lines[0]).toMatchObject({ service: 'api', msg: 'line', level: 30 });
  });

  it('drops and counts lines past its cap when stdout stalls, instead of growing without bound', async () => {
    // stdout is a pipe this test never reads: it fills (64 kB), then the logger's buffer does.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        script(`
          const log = logger.createApiLogger('info', { capBytes: 256 * 1024 });
          for (let i = 0; i < 20000; i++) log.info({ i, pad: 'x'.repeat(100) }, 'line');
          setTimeout(() => {
            process.stderr.write('dropped ' + logger.droppedLogLines() + '\\n');
            process.kill(process.pid, 'SIGKILL');
          }, 200);
        `),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => child.on('exit', resolve));
    const dropped = Number(/dropped (\d+)/.exec(stderr)?.[1]);
    // ~20,000 lines of ~170 bytes against 64 kB of pipe and 256 kB of buffer: most are dropped.
    expect(dropped).toBeGreaterThan(15_000);
    expect(dropped).toBeLessThan(20_000);
  });
});
