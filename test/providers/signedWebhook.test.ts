import { UnauthenticatedError } from '../../domain/errors';
import { signWebhook, verifySignedWebhook } from '../../providers/signedWebhook';

const body = JSON.stringify({ event: 'payout.processed', payload: { referenceId: 'pay_1', status: 'PROCESSED' } });
const secret = 'a-shared-webhook-secret';
const now = 1_800_000_000;

it('accepts its own signature within the tolerance', () => {
  expect(() =>
    verifySignedWebhook(body, signWebhook(body, secret, now), secret, { toleranceSeconds: 300, nowSeconds: now + 299 }),
  ).not.toThrow();
});

it.each([
  ['a tampered body', body.replace('PROCESSED', 'FAILED'), signWebhook(body, secret, now), now],
  ['another secret', body, signWebhook(body, 'another-secret-entirely', now), now],
  ['a stale signature (over 5 minutes)', body, signWebhook(body, secret, now), now + 301],
  ['a signature from the future', body, signWebhook(body, secret, now + 400), now],
  ['no header', body, undefined, now],
  ['a malformed header', body, 'sha256=abc', now],
  ['a re-timed signature', body, signWebhook(body, secret, now).replace(`t=${now}`, `t=${now + 10}`), now],
])('refuses %s', (_what, raw, header, at) => {
  expect(() => verifySignedWebhook(raw, header, secret, { toleranceSeconds: 300, nowSeconds: at })).toThrow(
    UnauthenticatedError,
  );
});
