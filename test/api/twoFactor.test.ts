/**
 * TOTP two-factor through the real API on MariaDB: enrolment, the two-step login, recovery
 * codes, replay and guessing, step-up on beneficiaries, disabling, and the secret at rest.
 */
import { SignJWT } from 'jose';
import { currentTotp } from '../../api/auth/secondFactor';
import { createTestApp, enrolTwoFactor, promoteToAdmin, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;
beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db, { env: { LOGIN_FREE_FAILURES: '3' } });
});
afterAll(() => db.drop());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const THIRTY_SECONDS = 30_000;

async function passwordStep(u: { login: string; password: string }) {
  const res = await t.http().post('/v1/auth/login').send({ login: u.login, password: u.password });
  expect(res.status).toBe(200);
  return res.body;
}
const codeStep = (challengeToken: string, code: string) =>
  t.http().post('/v1/auth/login/2fa').send({ challengeToken, code });

describe('enrolment', () => {
  it('setup gives a secret as an otpauth URI and a QR code; a code from it turns two-factor on', async () => {
    const u = await registerUser(t.http);
    const status = () => t.http().get('/v1/me/2fa').set(bearer(u.accessToken));
    expect((await status()).body).toEqual({
      enabled: false,
      enabledAt: null,
      recoveryCodesLeft: 0,
      thisSessionPassed: false,
    });
    // The password first: a stolen access token alone cannot enrol the thief's authenticator.
    const noPassword = await t.http().post('/v1/me/2fa/setup').set(bearer(u.accessToken)).send({});
    expect(noPassword.status).toBe(400);
    const wrongPassword = await t
      .http()
      .post('/v1/me/2fa/setup')
      .set(bearer(u.accessToken))
      .send({ password: 'guess' });
    expect([wrongPassword.status, wrongPassword.body.error.code]).toEqual([403, 'password_invalid']);
    const other = await passwordStep(u); // a second session, password only
    const setup = await t.http().post('/v1/me/2fa/setup').set(bearer(u.accessToken)).send({ password: u.password });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.body.otpauthUri).toBe(
      `otpauth://totp/NexasPay:${u.login}?issuer=NexasPay&secret=${setup.body.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(setup.body.qrCodeSvg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>\s*$/s);
    // Only sealed at rest, bound to the user.
    const row = await db.knex('two_factor').where({ user_id: u.user.id }).first();
    expect(row.secret_sealed).toMatch(/^v2:/);
    expect(row.secret_sealed).not.toContain(setup.body.secret);
    expect(row.enabled_at).toBeNull();

    const wrong = await t.http().post('/v1/me/2fa/enable').set(bearer(u.accessToken)).send({ code: '000000' });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'two_factor_invalid']);
    const stale = currentTotp(setup.body.secret, Date.now() - 5 * THIRTY_SECONDS);
    expect((await t.http().post('/v1/me/2fa/enable').set(bearer(u.accessToken)).send({ code: stale })).status).toBe(
      403,
    );
    const enabled = await t
      .http()
      .post('/v1/me/2fa/enable')
      .set(bearer(u.accessToken))
      .send({ code: currentTotp(setup.body.secret) });
    expect(enabled.status).toBe(200);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
    for (const c of enabled.body.recoveryCodes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect((await status()).body).toMatchObject({ enabled: true, recoveryCodesLeft: 10, thisSessionPassed: true });
    // Sessions signed in with the password alone ended with it.
    expect((await t.http().get('/v1/me').set(bearer(other.accessToken))).status).toBe(401);
    const again = await t.http().post('/v1/me/2fa/setup').set(bearer(u.accessToken)).send({ password: u.password });
    expect([again.status, again.body.error.code]).toEqual([409, 'two_factor_enabled']);
    expect(await db.knex('audit_logs').where({ action: 'auth.2fa_enabled', actor_user_id: u.user.id })).toHaveLength(1);
  });
});

describe('logging in with two-factor on', () => {
  it('the password gives a challenge, not tokens; the challenge and a code give the session', async () => {
    const u = await registerUser(t.http);
    const { secret, enrolmentCode, enrolledAt } = await enrolTwoFactor(t.http, u.accessToken);
    const first = await passwordStep(u);
    expect(first).toEqual({ twoFactorRequired: true, challengeToken: expect.any(String), expiresIn: 300 });
    expect(first.accessToken).toBeUndefined();
    // The challenge is not an access token.
    expect((await t.http().get('/v1/me').set(bearer(first.challengeToken))).status).toBe(401);

    const bad = await codeStep(first.challengeToken, '123456');
    expect([bad.status, bad.body.error.code]).toEqual([401, 'two_factor_invalid']);
    // Enrolment spent its code; the next step's is within the accepted drift.
    expect((await codeStep(first.challengeToken, enrolmentCode)).status).toBe(401);
    const code = currentTotp(secret, enrolledAt + THIRTY_SECONDS);
    const ok = await codeStep(first.challengeToken, code);
    expect(ok.status).toBe(200);
    const me = await t.http().get('/v1/me/2fa').set(bearer(ok.body.accessToken));
    expect(me.body.thisSessionPassed).toBe(true);
    // The same code twice is a replay, refused.
    const replay = await codeStep((await passwordStep(u)).challengeToken, code);
    expect([replay.status, replay.body.error.code]).toEqual([401, 'two_factor_invalid']);
    const audit = await db
      .knex('audit_logs')
      .where({ action: 'auth.login', actor_user_id: u.user.id, outcome: 'success' });
    expect(audit.map((a) => a.details?.secondFactor)).toContain('totp');
  });

  it('a recovery code works once, in any case and with or without its dash', async () => {
    const u = await registerUser(t.http);
    const { recoveryCodes } = await enrolTwoFactor(t.http, u.accessToken);
    const typed = recoveryCodes[0]!.toLowerCase().replace('-', '');
    const ok = await codeStep((await passwordStep(u)).challengeToken, typed);
    expect(ok.status).toBe(200);
    expect((await codeStep((await passwordStep(u)).challengeToken, recoveryCodes[0]!)).status).toBe(401);
    expect((await t.http().get('/v1/me/2fa').set(bearer(ok.body.accessToken))).body.recoveryCodesLeft).toBe(9);
  });

  it('refuses a forged, expired or foreign challenge', async () => {
    const u = await registerUser(t.http);
    const { secret } = await enrolTwoFactor(t.http, u.accessToken);
    const key = new TextEncoder().encode(t.config.JWT_SECRET);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.user.id))
      .setIssuer(t.config.JWT_ISSUER)
      .setAudience('nexaspay-2fa-challenge')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    for (const challenge of [expired, u.accessToken, `${expired.slice(0, -4)}AAAA`]) {
      const r = await codeStep(challenge, currentTotp(secret));
      expect([r.status, r.body.error.code]).toEqual([401, 'invalid_challenge']);
    }
  });

  it('guessed codes are throttled like passwords, and a right password does not reset the count', async () => {
    const u = await registerUser(t.http);
    const { secret } = await enrolTwoFactor(t.http, u.accessToken);
    const { challengeToken } = await passwordStep(u);
    expect((await codeStep(challengeToken, '111111')).status).toBe(401);
    await passwordStep(u); // right again, but no session yet: the attempts so far still count
    expect((await codeStep(challengeToken, '333333')).status).toBe(401);
    const locked = await codeStep(challengeToken, currentTotp(secret));
    expect([locked.status, locked.body.error.code]).toEqual([429, 'rate_limited']);
    expect((await t.http().post('/v1/auth/login').send({ login: u.login, password: u.password })).status).toBe(429);
  });
});

describe('step-up and turning it off', () => {
  const payee = { beneficiaryName: 'Asha K', ifscCode: 'SBIN0001234', bankName: 'SBI' };

  it('adding a beneficiary needs a code when two-factor is on, and only then', async () => {
    const plain = await registerUser(t.http);
    const add = (token: string, accountNumber: string, code?: string) => {
      const req = t.http().post('/v1/beneficiaries').set(bearer(token));
      return (code ? req.set('X-Two-Factor-Code', code) : req).send({ ...payee, accountNumber });
    };
    expect((await add(plain.accessToken, '11112222333344')).status).toBe(201);

    const u = await registerUser(t.http);
    const { secret } = await enrolTwoFactor(t.http, u.accessToken);
    const without = await add(u.accessToken, '11112222333355');
    expect([without.status, without.body.error.code]).toEqual([403, 'two_factor_required']);
    const wrong = await add(u.accessToken, '11112222333355', '000000');
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'two_factor_invalid']);
    // A code already spent (here: by enrolment, in this 30-second step or the last) is refused;
    // the next step's code is accepted.
    const next = currentTotp(secret, Date.now() + THIRTY_SECONDS);
    expect((await add(u.accessToken, '11112222333355', next)).status).toBe(201);
    expect(await db.knex('beneficiaries').where({ user_id: u.user.id })).toHaveLength(1);
  });

  it('disabling needs the password and a code, and is refused to admins', async () => {
    const u = await registerUser(t.http);
    const { recoveryCodes } = await enrolTwoFactor(t.http, u.accessToken);
    const disable = (password: string, code: string) =>
      t.http().post('/v1/me/2fa/disable').set(bearer(u.accessToken)).send({ password, code });
    expect((await disable('not the password', recoveryCodes[0]!)).status).toBe(403);
    expect((await disable(u.password, recoveryCodes[0]!)).status).toBe(204);
    expect((await passwordStep(u)).accessToken).toEqual(expect.any(String));
    expect(await db.knex('two_factor_recovery_codes').where({ user_id: u.user.id })).toHaveLength(0);

    const a = await registerUser(t.http);
    const admin = await promoteToAdmin(t.http, db.knex, a);
    const refused = await t
      .http()
      .post('/v1/me/2fa/disable')
      .set(bearer(admin.accessToken))
      .send({ password: a.password, code: admin.recoveryCodes[0]! });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'two_factor_mandatory']);
  });
});
