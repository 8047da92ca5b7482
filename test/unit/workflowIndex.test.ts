/**
 * workflows/index.ts names every workflow type the worker runs, and requires each workflow's
 * module only when one of its type runs: a workflow added to a module but not to the index would
 * never be found by the worker, and a running history of it would fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as index from '../../workflows';

const WORKFLOWS = path.resolve(__dirname, '../../workflows');
const MODULES = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.ts') && f !== 'index.ts');

/** Each workflow module's exported functions whose names say they are workflows (or a workflow's new version: `…WorkflowV2`). */
function workflowsByModule(): Map<string, Array<[string, Record<string, unknown>]>> {
  const found = new Map<string, Array<[string, Record<string, unknown>]>>();
  for (const file of MODULES) {
    const mod = require(path.join(WORKFLOWS, file)) as Record<string, unknown>;
    const fns = Object.entries(mod).filter(
      ([name, value]) => typeof value === 'function' && /Workflow(V\d+)?$/.test(name),
    );
    if (fns.length > 0) found.set(file, fns as Array<[string, Record<string, unknown>]>);
  }
  return found;
}

describe('workflows/index.ts', () => {
  it('exports every workflow of the workflow modules, each a function of its own name', () => {
    const names = [...workflowsByModule().values()].flat().map(([name]) => name);
    expect(names.length).toBeGreaterThanOrEqual(11);
    const exported = Object.entries(index as Record<string, unknown>);
    expect(exported.map(([name]) => name).sort()).toEqual(names.sort());
    for (const [name, fn] of exported) {
      expect(typeof fn).toBe('function');
      expect((fn as () => unknown).name).toBe(name);
    }
  });

  it("calls the workflow of its own name in that workflow's module", () => {
    const byModule = workflowsByModule();
    jest.isolateModules(() => {
      // Every workflow module replaced by one whose workflows answer with their module and name.
      for (const [file, fns] of byModule) {
        jest.doMock(path.join(WORKFLOWS, file), () =>
          Object.fromEntries(fns.map(([name]) => [name, (...args: unknown[]) => `${file}:${name}:${args.join()}`])),
        );
      }
      const lazy = require('../../workflows') as Record<string, (...args: unknown[]) => unknown>;
      for (const [file, fns] of byModule)
        for (const [name] of fns) expect(lazy[name]!('a', 1)).toBe(`${file}:${name}:a,1`);
    });
  });

  it('wraps no workflow carrying options the SDK reads from the exported function', () => {
    // The SDK reads `workflowDefinitionOptions` and `staticOptions` from the function it finds in
    // the index; a wrapper would hide them.
    for (const [, fn] of [...workflowsByModule().values()].flat()) {
      expect(fn).not.toHaveProperty('workflowDefinitionOptions');
      expect(fn).not.toHaveProperty('staticOptions');
    }
  });

  it('imports no module at run time: each workflow module is required when a workflow of its type runs', () => {
    const source = readFileSync(path.join(WORKFLOWS, 'index.ts'), 'utf8');
    const runtimeImports = [...source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)];
    expect(runtimeImports.map((m) => m[1])).toEqual([]);
  });
});
