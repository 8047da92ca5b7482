/**
 * The format check and the type-aware lint, as `npm test` and `npm run lint` run them: findings
 * are printed, and the result says whether both are clean.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './paths';

export const PRETTIER_GLOBS = ['**/*.{ts,tsx,css,mjs,js,json,yml}'];

function run(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ ok: code === 0, output }));
  });
}

export async function runGuardrails(o: { print: boolean }): Promise<boolean> {
  const [format, lint] = await Promise.all([
    run([require.resolve('prettier/bin/prettier.cjs'), '--check', '--log-level', 'warn', ...PRETTIER_GLOBS]),
    run([path.join(projectRoot, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings', '0', '.']),
  ]);
  if (!format.ok) console.log(`format check failed (run \`npm run format\`):\n${format.output}`);
  if (!lint.ok) console.log(`lint failed:\n${lint.output}`);
  if (o.print && format.ok && lint.ok) console.log('format and lint: clean');
  return format.ok && lint.ok;
}
