/** The access-token verifier remembers valid tokens, never invalid ones, and still expires them. */
import { createTokenVerifier, signAccessToken as signed, TokenSettings } from '../../api/auth/tokens';
import { UnauthenticatedError } from '../../domain/errors';

const settings: TokenSettings = { secret: 's'.repeat(40), issuer: 'nexaspay-test', ttlSeconds: 60 };
const claims = {
  userId: 7,
  sessionId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  role: 'retailer' as const,
  session: { version: 3, twoFactor: false },
};
/** A session that ends long after any token here. */
const sessionEnds = new Date(Date.now() + 86_400_000);
const signAccessToken = async (s: TokenSettings, c: Parameters<typeof signed>[1]) =>
  (await signed(s, c, sessionEnds)).token;

afterEach(() => jest.useRealTimers());

it('answers a repeat from memory until the token expires, then refuses it as expired', async () => {
  const verify = createTokenVerifier(settings);
  const token = await signAccessToken(settings, claims);
  expect(await verify(token)).toEqual(claims);
  expect(await verify(token)).toEqual(claims);
  jest.useFakeTimers({ now: Date.now() + 61_000 });
  await expect(verify(token)).rejects.toMatchObject({ code: 'token_expired' });
  await expect(verify(token)).rejects.toMatchObject({ code: 'token_expired' }); // forgotten, and jose agrees
});

it('does not remember a token that failed: a tampered copy of a valid one is refused every time', async () => {
  const verify = createTokenVerifier(settings);
  const token = await signAccessToken(settings, claims);
  await verify(token);
  const [header, payload, signature] = token.split('.');
  const forged = [
    header,
    Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: '8' })).toString(
      'base64url',
    ),
    signature,
  ].join('.');
  for (let i = 0; i < 2; i++) await expect(verify(forged)).rejects.toBeInstanceOf(UnauthenticatedError);
  const other = createTokenVerifier({ ...settings, secret: 'o'.repeat(40) });
  await expect(other(token)).rejects.toMatchObject({ message: 'invalid access token' });
});

it('keeps at most the configured number of tokens and still verifies the ones it dropped', async () => {
  const verify = createTokenVerifier(settings, 2);
  const tokens = await Promise.all([1, 2, 3].map((userId) => signAccessToken(settings, { ...claims, userId })));
  for (const t of [...tokens, ...tokens]) expect((await verify(t)).sessionId).toBe(claims.sessionId);
  expect((await verify(tokens[0]!)).userId).toBe(1);
});

it('ends a token at its session’s end when that comes before the TTL, and says so', async () => {
  const endsAt = new Date(Date.now() + 20_000);
  const { token, expiresIn } = await signed(settings, claims, endsAt);
  expect(expiresIn).toBeGreaterThan(15);
  expect(expiresIn).toBeLessThanOrEqual(20);
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
  expect(exp).toBe(Math.floor(endsAt.getTime() / 1000));
  expect((await signed(settings, claims, new Date(Date.now() + 3_600_000))).expiresIn).toBe(60);
});

it('reads a token without the session claims (issued before them) as having none', async () => {
  const { session: _, ...older } = claims;
  expect(await createTokenVerifier(settings)(await signAccessToken(settings, older))).toEqual(older);
});
