import pino from 'pino';
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { createApp } from '../../api/app';
import { Config, loadConfig } from '../../config';
import { createLedger } from '../../db/ledger';
import type { ProviderGateways } from '../../providers/contracts';
import { TestDatabase } from './db';

export function testConfig(db: TestDatabase, extra: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, ...extra });
}

/** The real app over a suite's database; supertest drives it without a port. */
export function createTestApp(
  db: TestDatabase,
  opts: { temporal?: Client; env?: Record<string, string>; gateways?: Partial<ProviderGateways> } = {},
) {
  const config = testConfig(db, opts.env);
  const app = createApp({
    config,
    knex: db.knex,
    ledger: createLedger(db.knex),
    logger: pino({ level: 'silent' }),
    temporal: opts.temporal,
    ...(opts.gateways ? { gateways: opts.gateways } : {}),
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
    password: 'correct horse battery',
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
