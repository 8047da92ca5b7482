import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The heap growth limit is set by the process at run time (Node refuses it in NODE_OPTIONS), so
 * check that setting it that way takes effect: the same allocation pattern (a working set of about
 * 25 MB replaced piece by piece, and short-lived garbage) in two fresh processes, one limited.
 *
 * What it counts is the full collections: a heap allowed to grow by 25% of what survived the last
 * one reaches its next limit sooner, so the same allocations take more of them (2 against 7–9
 * here, idle or with four copies running side by side). Sampled heap peaks, which this test
 * compared before, move with the machine's load and failed about one run in five.
 */
function fullCollections(limited: boolean): number {
  const script = `
    ${limited ? `require(${JSON.stringify(path.join(__dirname, '../../config/engineProcess'))}).limitHeapGrowth();` : ''}
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    let full = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
    });
    observer.observe({ entryTypes: ['gc'] });
    const keep = [];
    for (let i = 0; i < 400000; i++) {
      keep.push({ a: 'x'.repeat(100) + i, b: [i, i + 1] });
      if (keep.length > 150000) keep.splice(0, 1000);
      for (let j = 0; j < 20; j++) void { t: [j, i] };
    }
    // The observer is told of collections asynchronously: let it catch up before counting.
    setImmediate(() => setImmediate(() => {
      observer.disconnect();
      process.stdout.write(String(full));
    }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-semi-space-size=2', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}

it('limits how far V8 grows the heap beyond what survives a collection', () => {
  const unlimited = fullCollections(false);
  const limited = fullCollections(true);
  expect(unlimited).toBeGreaterThan(0);
  expect(limited).toBeGreaterThanOrEqual(unlimited * 2);
});
