import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** Runs the promtool `npm test` built (PROMTOOL_BIN) in the project root; its output is what failed. */
export function promtool(args: string[], stdin?: string): { status: number | null; output: string } {
  const bin = process.env.PROMTOOL_BIN;
  if (!bin) throw new Error('PROMTOOL_BIN is not set: run the suite with `npm test`');
  const r = spawnSync(bin, args, { cwd: root, input: stdin, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
