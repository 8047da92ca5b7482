/**
 * workflows/index.ts names every workflow type the worker runs, and requires each workflow's
 * module only when one of its type runs: a workflow added to a module but not to the index would
 * never be found by the worker, and a running history of it would fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as index from '../../workflows';

const WORKFLOWS = path.resolve(__dirname, '../../workflows');

/** Every function exported by a module of workflows/ whose name says it is a workflow. */
function workflowFunctionsOfModules(): Set<string> {
  const found = new Set<string>();
  for (const file of readdirSync(WORKFLOWS).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) {
    const mod = require(path.join(WORKFLOWS, file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod))
      if (typeof value === 'function' && name.endsWith('Workflow')) found.add(name);
  }
  return found;
}

describe('workflows/index.ts', () => {
  it('exports every workflow of the workflow modules, each a function of its own name', () => {
    const modules = workflowFunctionsOfModules();
    expect(modules.size).toBeGreaterThanOrEqual(11);
    const exported = Object.entries(index as Record<string, unknown>);
    expect(exported.map(([name]) => name).sort()).toEqual([...modules].sort());
    for (const [name, fn] of exported) {
      expect(typeof fn).toBe('function');
      expect((fn as () => unknown).name).toBe(name);
    }
  });

  it('imports no module at run time: each workflow module is required when a workflow of its type runs', () => {
    const source = readFileSync(path.join(WORKFLOWS, 'index.ts'), 'utf8');
    const runtimeImports = [...source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)];
    expect(runtimeImports.map((m) => m[1])).toEqual([]);
    expect(source.match(/require\('\.\/[^']+'\)/g)?.length).toBeGreaterThanOrEqual(11);
  });
});
