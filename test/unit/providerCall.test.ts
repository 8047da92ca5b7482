/** Every provider call is timed into the worker's metrics, by provider, operation and outcome. */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { MetricHistogram, MetricMeter, MetricTags } from '@temporalio/common';
import { noopMetricMeter } from '@temporalio/common';
import { PHONEPE_CALLS, PROVIDER_CALL_METRIC, providerCall } from '../../activities/providerCall';

function recordingMeter() {
  const samples: Array<{ name: string; unit?: string; value: number; tags?: MetricTags }> = [];
  // The no-op meter for everything else (its methods live on its prototype).
  const meter: MetricMeter = Object.assign(Object.create(noopMetricMeter) as MetricMeter, {
    createHistogram: (name: string, _type: unknown, unit?: string): MetricHistogram => ({
      name,
      unit,
      kind: 'histogram',
      valueType: 'float',
      record: (value: number, tags?: MetricTags) => void samples.push({ name, unit, value, tags }),
      withTags: () => {
        throw new Error('not used');
      },
    }),
  });
  return { meter, samples };
}

it('records the duration of a call that answers, and of one that fails', async () => {
  const { meter, samples } = recordingMeter();
  const env = new MockActivityEnvironment({}, { metricMeter: meter });
  await expect(
    env.run(() => providerCall(PHONEPE_CALLS.checkOrder, () => new Promise((r) => setTimeout(() => r('PAID'), 20)))),
  ).resolves.toBe('PAID');
  await expect(
    env.run(() => providerCall({ provider: 'bbps', operation: 'send' }, () => Promise.reject(new Error('502')))),
  ).rejects.toThrow('502');
  // The activity's own tags (type, task queue, namespace) come along from its context's meter.
  expect(samples).toMatchObject([
    {
      name: PROVIDER_CALL_METRIC,
      unit: 's',
      tags: { provider: 'phonepe', operation: 'check-order', outcome: 'ok' },
    },
    {
      name: PROVIDER_CALL_METRIC,
      unit: 's',
      tags: { provider: 'bbps', operation: 'send', outcome: 'error' },
    },
  ]);
  expect(samples[0]!.value).toBeGreaterThanOrEqual(0.015);
  expect(samples[0]!.value).toBeLessThan(5);
});
