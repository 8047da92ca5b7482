/**
 * The configuration fails closed: production refuses what only development may run with, naming
 * each variable, and nothing runs as development because NODE_ENV was forgotten.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, temporalGrpcCompressionOf } from '../../config';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

/** A production environment that should pass, with real-looking providers and secrets. */
const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'mysql://nexaspay:pw@db.internal:3306/nexaspay',
  PUBLIC_BASE_URL: 'https://pay.nexaspay.in',
  METRICS_TOKEN: 'metrics-token-of-enough-length-0001',
  JWT_SECRET: 'a-production-jwt-secret-of-enough-length-0001',
  PHONEPE_BASE_URL: 'https://api.phonepe.com/apis/pg',
  PHONEPE_AUTH_BASE_URL: 'https://api.phonepe.com/apis/identity-manager',
  PHONEPE_CLIENT_ID: 'NEXASPAY_LIVE',
  PHONEPE_CLIENT_SECRET: 'live-client-secret',
  PHONEPE_WEBHOOK_USERNAME: 'nexaspay',
  PHONEPE_WEBHOOK_PASSWORD: 'live-webhook-password',
  BBPS_BASE_URL: 'https://bbps.example-provider.in/api',
  BBPS_API_KEY: 'live-bbps-key',
  BBPS_WEBHOOK_SECRET: 'live-bbps-webhook-secret',
  RECHARGE_BASE_URL: 'https://recharge.example-provider.in/api',
  RECHARGE_API_KEY: 'live-recharge-key',
  RECHARGE_WEBHOOK_SECRET: 'live-recharge-webhook-secret',
  PAYOUT_BASE_URL: 'https://payout.example-provider.in/api',
  PAYOUT_API_KEY: 'live-payout-key',
  PAYOUT_WEBHOOK_SECRET: 'live-payout-webhook-secret',
  BENEFICIARY_ENCRYPTION_KEY: key(1),
  BENEFICIARY_HASH_KEY: 'live-beneficiary-hash-key-of-enough-length',
  TWO_FACTOR_ENCRYPTION_KEY: key(2),
  KYC_ENCRYPTION_KEY: key(3),
};

describe('configuration', () => {
  it('a complete production environment passes', () => {
    expect(loadConfig(PRODUCTION).NODE_ENV).toBe('production');
  });

  it('refuses to guess NODE_ENV', () => {
    const { NODE_ENV: _unset, ...env } = PRODUCTION;
    expect(() => loadConfig(env)).toThrow(/NODE_ENV is not set/);
    expect(() => loadConfig({ ...env, NODE_ENV: 'prod' })).toThrow(/NODE_ENV must be one of/);
  });

  it('in production, refuses simulators, this machine, plain http and compressed timing, naming each variable', () => {
    const bad = {
      ...PRODUCTION,
      PHONEPE_BASE_URL: 'http://127.0.0.1:4100/phonepe',
      BBPS_BASE_URL: 'http://simulators:4100/bbps',
      RECHARGE_BASE_URL: 'http://recharge.example-provider.in/api',
      PAYOUT_BASE_URL: 'https://localhost/payout',
      PUBLIC_BASE_URL: 'http://pay.nexaspay.in',
      PHONEPE_AUTH_BASE_URL: 'https://[::ffff:127.0.0.1]/identity',
      POLLING_TIME_SCALE: '0.01',
    };
    let message = '';
    try {
      loadConfig(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^refusing to start in production/);
    expect(message).toMatch(/PHONEPE_BASE_URL: http:\/\/127\.0\.0\.1:4100\/phonepe is a simulator or this machine/);
    expect(message).toMatch(/BBPS_BASE_URL: .* is a simulator/);
    expect(message).toMatch(/RECHARGE_BASE_URL: .* is not https/);
    expect(message).toMatch(/PAYOUT_BASE_URL: .* is a simulator or this machine/);
    expect(message).toMatch(/PUBLIC_BASE_URL: .* is not https/);
    expect(message).toMatch(/POLLING_TIME_SCALE: must be 1/);
    expect(message).toMatch(/PHONEPE_AUTH_BASE_URL: .* is a simulator or this machine/);
    expect(() => loadConfig({ ...PRODUCTION, PAYOUT_BASE_URL: 'https://user:pw@payout.example.in/api' })).toThrow(
      /PAYOUT_BASE_URL: carries credentials/,
    );
    expect(() => loadConfig({ ...PRODUCTION, BBPS_BASE_URL: 'https://localhost./bbps' })).toThrow(/BBPS_BASE_URL/);
  });

  it('in production, refuses a development secret copied over, and requires the ops token', () => {
    expect(() => loadConfig({ ...PRODUCTION, JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef' })).toThrow(
      /JWT_SECRET: is the development value/,
    );
    expect(() =>
      loadConfig({ ...PRODUCTION, TWO_FACTOR_ENCRYPTION_KEY: 'ZGV2LW9ubHktdHdvLWZhY3Rvci1rZXktMzItYnl0ZXM=' }),
    ).toThrow(/TWO_FACTOR_ENCRYPTION_KEY: is the development value/);
    // The same key spelled without its padding is still the development key.
    expect(() =>
      loadConfig({ ...PRODUCTION, KYC_ENCRYPTION_KEY_PREVIOUS: 'ZGV2LW9ubHkta3ljLWRldGFpbHMta2V5LTMyYnl0ZXM' }),
    ).toThrow(/KYC_ENCRYPTION_KEY_PREVIOUS: is the development value/);
    const { METRICS_TOKEN: _m, ...noToken } = PRODUCTION;
    expect(() => loadConfig(noToken)).toThrow(/METRICS_TOKEN/);
    const { PUBLIC_BASE_URL: _p, ...noUrl } = PRODUCTION;
    expect(() => loadConfig(noUrl)).toThrow(/PUBLIC_BASE_URL: required/);
  });

  it('development keeps its simulator defaults', () => {
    const c = loadConfig({ NODE_ENV: 'development', DATABASE_URL: PRODUCTION.DATABASE_URL });
    expect(c.PHONEPE_BASE_URL).toBe('http://127.0.0.1:4100/phonepe');
  });

  it("the worker's stack trace capture is off unless asked for, and a typo is refused", () => {
    expect(loadConfig(PRODUCTION).WORKER_STACK_TRACES).toBe(false);
    expect(loadConfig({ ...PRODUCTION, WORKER_STACK_TRACES: 'true' }).WORKER_STACK_TRACES).toBe(true);
    expect(() => loadConfig({ ...PRODUCTION, WORKER_STACK_TRACES: 'on' })).toThrow(/WORKER_STACK_TRACES/);
  });

  it('leaves the gRPC calls to Temporal uncompressed unless told to gzip them', () => {
    expect(loadConfig(PRODUCTION).TEMPORAL_GRPC_COMPRESSION).toBe('none');
    expect(loadConfig({ ...PRODUCTION, TEMPORAL_GRPC_COMPRESSION: 'gzip' }).TEMPORAL_GRPC_COMPRESSION).toBe('gzip');
    expect(() => loadConfig({ ...PRODUCTION, TEMPORAL_GRPC_COMPRESSION: 'zstd' })).toThrow(/TEMPORAL_GRPC_COMPRESSION/);
    expect(temporalGrpcCompressionOf({})).toBe('none');
    expect(temporalGrpcCompressionOf({ TEMPORAL_GRPC_COMPRESSION: 'gzip' })).toBe('gzip');
  });

  it('the simulators refuse to start in production', async () => {
    const root = path.resolve(__dirname, '../..');
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'simulators/main.ts'], {
      cwd: root,
      env: { ...process.env, ...PRODUCTION, SIMULATOR_PORT: '0' },
      timeout: 30_000,
    });
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/simulators never run with NODE_ENV=production/),
    });
  });
});
