import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The heap growth limit is set by the process at run time (Node refuses it in NODE_OPTIONS), so
 * check that setting it that way takes effect: the same allocation pattern (a working set of about 25 MB
 * replaced piece by piece, and short-lived garbage) in two fresh processes, one limited.
 */
function peakHeapMb(limited: boolean): number {
  const script = `
    ${limited ? `require(${JSON.stringify(path.join(__dirname, '../../config/engineProcess'))}).limitHeapGrowth();` : ''}
    const v8 = require('node:v8');
    const keep = [];
    let peak = 0;
    for (let i = 0; i < 400000; i++) {
      keep.push({ a: 'x'.repeat(100) + i, b: [i, i + 1] });
      if (keep.length > 150000) keep.splice(0, 1000);
      for (let j = 0; j < 20; j++) void { t: [j, i] };
      if (i % 1000 === 0) peak = Math.max(peak, v8.getHeapStatistics().total_heap_size);
    }
    process.stdout.write(String(Math.round(peak / 2 ** 20)));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--max-semi-space-size=2', '-e', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}

it('limits how far V8 grows the heap beyond what survives a collection', () => {
  const unlimited = peakHeapMb(false);
  const limited = peakHeapMb(true);
  expect(limited).toBeGreaterThan(0);
  expect(limited).toBeLessThan(unlimited * 0.8);
});
