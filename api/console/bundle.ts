/**
 * Builds the operations console (console/src, Preact + uPlot) into one script, one stylesheet
 * and its page, with esbuild: at image build time (Dockerfile), and before `npm run dev` and
 * `npm test` start the API. The API serves what was built (api/console/routes.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const CONSOLE_SOURCE = path.resolve(__dirname, '..', '..', 'console');
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'dist', 'console');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>NexasPay operations console</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/console/assets/app.css" />
    <script defer src="/console/assets/app.js"></script>
  </head>
  <body>
    <div id="console"><noscript>The console needs JavaScript.</noscript></div>
  </body>
</html>
`;

export async function bundleConsole(outDir = DEFAULT_CONSOLE_DIR): Promise<{ outDir: string; bytes: number }> {
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(CONSOLE_SOURCE, 'src', 'main.tsx') },
    tsconfig: path.join(CONSOLE_SOURCE, 'tsconfig.json'),
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'iife',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    write: true,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  writeFileSync(path.join(outDir, 'index.html'), PAGE);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outDir, bytes };
}
