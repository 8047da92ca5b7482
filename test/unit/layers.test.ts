/**
 * The layer table of docs/architecture.md, enforced: each top-level folder imports at run time
 * only from the folders the table allows. Type-only imports are free except where the table says
 * never (the domain imports nothing outside itself; the API imports no activities). A new import
 * across a wall fails here, naming the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Folder → folders (or `node` for Node built-ins, `pkg:<name>` for packages) it may import at run time. */
const RUNTIME: Record<string, Array<string | RegExp>> = {
  domain: ['domain'],
  db: ['db', 'domain', 'node', /^pkg:/],
  providers: ['providers', 'domain', 'node', /^pkg:/],
  activities: ['activities', 'db', 'providers', 'domain', /^pkg:/],
  workflows: ['workflows', 'domain', 'pkg:@temporalio/workflow', 'pkg:@temporalio/common'],
  simulators: ['simulators', 'providers', 'domain', 'config', 'node', /^pkg:/],
  api: ['api', 'db', 'domain', 'providers', 'workflows', 'config', 'node', /^pkg:/],
  // Browser code: the server is reached only through the REST API.
  console: ['console', 'pkg:preact', 'pkg:uplot'],
};

/** Never, not even a type. */
const NEVER: Record<string, string[]> = {
  domain: ['db', 'providers', 'activities', 'workflows', 'simulators', 'api', 'config'],
  api: ['activities', 'simulators'],
  workflows: ['db', 'api', 'simulators'],
  console: ['db', 'api', 'activities', 'workflows', 'providers', 'simulators', 'config'],
};

/** The one file of the domain that uses Node (HMAC of operator decisions); workflows never import it. */
const DOMAIN_NODE_EXCEPTION = 'domain/decisionProof.ts';

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(p) ? [p] : [];
  });
}

/** Static imports and re-exports, and `require('…')` calls (workflows/index.ts requires each workflow's module lazily). */
const IMPORT = /^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'|\brequire\('([^']+)'\)/gms;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const rel = path.relative(ROOT, file);
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[2] ?? m[3])!;
    let target: string;
    if (spec.startsWith('.')) target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
    else if (spec.startsWith('node:')) target = 'node';
    else
      target = `pkg:${spec
        .split('/')
        .slice(0, spec.startsWith('@') ? 2 : 1)
        .join('/')}`;
    return { file: rel, target: target.replace(/\.tsx?$/, ''), typeOnly: Boolean(m[1]) };
  });
}

const allowed = (rules: Array<string | RegExp>, target: string) =>
  rules.some((r) => (typeof r === 'string' ? r === target : r.test(target)));

describe('layers', () => {
  const imports = Object.keys(RUNTIME).flatMap((folder) =>
    sourceFiles(path.join(ROOT, folder)).flatMap((f) => importsOf(f).map((i) => ({ ...i, folder }))),
  );

  it('reads imports from every layer (the check is looking at real files)', () => {
    for (const folder of Object.keys(RUNTIME)) expect(imports.some((i) => i.folder === folder)).toBe(true);
  });

  it('imports at run time only across the walls the architecture allows', () => {
    const crossings = imports
      .filter((i) => !i.typeOnly && !allowed(RUNTIME[i.folder]!, i.target))
      .filter((i) => !(i.file === DOMAIN_NODE_EXCEPTION && i.target === 'node'))
      .map((i) => `${i.file} → ${i.target}`);
    expect(crossings).toEqual([]);
  });

  it('never imports, not even a type, where the architecture says never', () => {
    const crossings = imports
      .filter((i) => (NEVER[i.folder] ?? []).includes(i.target))
      .map((i) => `${i.file} → ${i.target}${i.typeOnly ? ' (type)' : ''}`);
    expect(crossings).toEqual([]);
  });

  it('keeps Node and every package but the workflow SDK out of what the worker bundles as workflow code', () => {
    const seen = new Set<string>();
    const reached: Import[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      reached.push(...importsOf(file).filter((i) => !i.typeOnly));
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const spec = (m[2] ?? m[3])!;
        if (!m[1] && spec.startsWith('.')) visit(require.resolve(path.resolve(path.dirname(file), spec)));
      }
    };
    visit(path.join(ROOT, 'workflows/index.ts'));
    expect(seen.size).toBeGreaterThan(10);
    const outside = reached
      .filter((i) => i.target === 'node' || (i.target.startsWith('pkg:') && !i.target.startsWith('pkg:@temporalio/')))
      .map((i) => `${i.file} → ${i.target}`);
    expect(outside).toEqual([]);
  });
});
