import pino from 'pino';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { Config, loadConfig } from '../../config';
import { createLedger } from '../../db/ledger';
import type { ProviderGateways } from '../../providers/contracts';
import { TestDatabase } from './db';
import { currentTotp } from '../../api/auth/secondFactor';
import type { Knex } from 'knex';

/**
 * Every suite's requests come from one address, so the per-IP budgets, made for one client each,
 * are lifted; per-user budgets and the login throttle keep their defaults. The limits themselves
 * are tested with their own settings (test/api/rateLimits.test.ts).
 */
export const ONE_ADDRESS_FOR_EVERY_CLIENT = {
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_AUTH_PER_IP_PER_MINUTE: '1000000',
  LOGIN_FAILURES_PER_IP_PER_DAY: '1000000',
};

export function testConfig(db: TestDatabase, extra: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, ...ONE_ADDRESS_FOR_EVERY_CLIENT, ...extra });
}

/** The real app over a suite's database; supertest drives it without a port. */
export function createTestApp(
  db: TestDatabase,
  opts: {
    temporal?: Client;
    env?: Record<string, string>;
    gateways?: Partial<ProviderGateways>;
    consoleDir?: string;
  } = {},
) {
  const config = testConfig(db, opts.env);
  const app = createApp({
    config,
    knex: db.knex,
    ledger: createLedger(db.knex),
    logger: pino({ level: 'silent' }),
    ...(opts.temporal ? { temporal: () => opts.temporal } : {}),
    ...(opts.gateways ? { gateways: opts.gateways } : {}),
    consoleDir: opts.consoleDir ?? process.env.CONSOLE_DIR,
  });
  const server = app.callback();
  return { config, app, http: () => request(server) };
}

let n = 0;
/** Registers a fresh user through the API and returns its tokens. */
export async function registerUser(
  http: () => request.Agent | ReturnType<typeof request>,
  overrides: Record<string, unknown> = {},
) {
  const i = ++n;
  const body = {
    email: `user${i}@example.in`,
    username: `user_${i}`,
    phone: `98${String(i).padStart(8, '0')}`,
    password: TEST_PASSWORD,
    ...overrides,
  };
  const res = await (http() as ReturnType<typeof request>).post('/v1/auth/register').send(body);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, login: body.username, password: body.password } as {
    accessToken: string;
    refreshToken: string;
    user: { id: number; userCode: string };
    login: string;
    password: string;
  };
}

/** registerUser's password, unless a test gives another. */
export const TEST_PASSWORD = 'correct horse battery';

/** Enrols two-factor through the API (setup, then a code); the session it ran in passed it. */
export async function enrolTwoFactor(
  http: () => ReturnType<typeof request>,
  accessToken: string,
  password = TEST_PASSWORD,
): Promise<{ secret: string; recoveryCodes: string[]; enrolmentCode: string; enrolledAt: number }> {
  const auth = { Authorization: `Bearer ${accessToken}` };
  const setup = await http().post('/v1/me/2fa/setup').set(auth).send({ password });
  if (setup.status !== 200) throw new Error(`2fa setup: ${setup.status} ${JSON.stringify(setup.body)}`);
  const enrolledAt = Date.now();
  const enrolmentCode = currentTotp(setup.body.secret, enrolledAt);
  const enable = await http().post('/v1/me/2fa/enable').set(auth).send({ code: enrolmentCode });
  if (enable.status !== 200) throw new Error(`2fa enable: ${enable.status} ${JSON.stringify(enable.body)}`);
  return { secret: setup.body.secret, recoveryCodes: enable.body.recoveryCodes, enrolmentCode, enrolledAt };
}

/**
 * Makes a registered user an admin and enrols two-factor, as every admin must: the session
 * enrolment ran in passed it, so `accessToken` reaches the admin routes.
 */
export async function promoteToAdmin(
  http: () => ReturnType<typeof request>,
  knex: Knex,
  u: { user: { id: number }; accessToken: string },
): Promise<{ accessToken: string; secret: string; recoveryCodes: string[] }> {
  await knex('users').where({ id: u.user.id }).update({ role: 'admin' });
  return { accessToken: u.accessToken, ...(await enrolTwoFactor(http, u.accessToken)) };
}
