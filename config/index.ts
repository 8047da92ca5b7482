/**
 * The one place `process.env` is read. Every process parses it at start-up; a bad or missing
 * variable stops the process with a message naming it. Secrets have defaults only in
 * development and test, never in production.
 */
import { z } from 'zod';

const MODES = ['development', 'test', 'production'] as const;
export type Mode = (typeof MODES)[number];

const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const stackTracesFlag = bool.default(false);
const grpcCompressionCodec = z.enum(['none', 'gzip']).default('none');
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);
/** A rate limit's budget: requests per window. */
const budget = z.coerce.number().int().min(1).max(1_000_000_000);
const mysqlUrl = z
  .string()
  .regex(/^mysql:\/\/[^/]+\/[A-Za-z0-9_]+(\?.*)?$/, 'must be mysql://user:password@host:port/database');

/** Dev-only secrets: obviously fake, so nobody mistakes them for real ones. */
const DEV_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef',
  PHONEPE_CLIENT_ID: 'NEXASPAY_DEV_CLIENT',
  PHONEPE_CLIENT_SECRET: 'dev-only-phonepe-client-secret',
  PHONEPE_WEBHOOK_USERNAME: 'nexaspay-dev',
  PHONEPE_WEBHOOK_PASSWORD: 'dev-only-webhook-password',
  BBPS_API_KEY: 'dev-only-bbps-api-key',
  BBPS_WEBHOOK_SECRET: 'dev-only-bbps-webhook-secret',
  RECHARGE_API_KEY: 'dev-only-recharge-api-key',
  RECHARGE_WEBHOOK_SECRET: 'dev-only-recharge-webhook-secret',
  PAYOUT_API_KEY: 'dev-only-payout-api-key',
  PAYOUT_WEBHOOK_SECRET: 'dev-only-payout-webhook-secret',
  // base64 of 32 bytes "dev-only-beneficiary-key-32bytes"
  BENEFICIARY_ENCRYPTION_KEY: 'ZGV2LW9ubHktYmVuZWZpY2lhcnkta2V5LTMyYnl0ZXM=',
  BENEFICIARY_HASH_KEY: 'dev-only-beneficiary-hash-key-0123456789',
  // base64 of 32 bytes "dev-only-two-factor-key-32-bytes"
  TWO_FACTOR_ENCRYPTION_KEY: 'ZGV2LW9ubHktdHdvLWZhY3Rvci1rZXktMzItYnl0ZXM=',
  // base64 of 32 bytes "dev-only-kyc-details-key-32bytes"
  KYC_ENCRYPTION_KEY: 'ZGV2LW9ubHkta3ljLWRldGFpbHMta2V5LTMyYnl0ZXM=',
};

/** A commission margin or rate: a decimal 0-1 with at most 4 places, kept as text (parsed exactly by domain/commissions). */
const rateText = z
  .string()
  .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'must be a decimal between 0 and 1 with at most 4 places');
const base64Key32 = z
  .string()
  .refine(
    (s) => Buffer.from(s, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(s),
    'must be base64 of exactly 32 bytes (openssl rand -base64 32)',
  );

function schemaFor(mode: Mode) {
  const secret = (name: keyof typeof DEV_SECRETS, minLength: number) => {
    const base = z.string().min(minLength, `must be at least ${minLength} characters`);
    return mode === 'production' ? base : base.default(DEV_SECRETS[name]);
  };
  return z.object({
    NODE_ENV: z.enum(MODES),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default(mode === 'test' ? 'silent' : 'info'),

    DATABASE_URL: mysqlUrl,
    DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(20),

    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^:]+:\d+$/, 'must be host:port')
      .default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('payments'),
    /**
     * Transport compression of the worker's and the API's gRPC calls to Temporal (the SDK's
     * default is gzip). Off by default: the engine's messages are small, and gzipping them and
     * inflating the answers cost about 6% of what a transfer costs the machine, in the worker,
     * the API and the Temporal server (docs/performance.md, "The twelfth session"). `gzip` pays
     * off only where bandwidth to the server is scarcer than CPU.
     */
    TEMPORAL_GRPC_COMPRESSION: grpcCompressionCodec,
    /** Where ops open the Temporal UI; the console links each payment's workflow there. */
    TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
    /** Pre-bundled workflow code (production image, tests); without it the worker bundles at start. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    /** Activities a worker runs at once; each holds at most one database connection, so at most DB_POOL_MAX (the default). */
    WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(1).max(200).optional(),
    /** Workflow tasks a worker runs at once (CPU only, no connections). */
    WORKER_WORKFLOW_SLOTS: z.coerce.number().int().min(2).max(500).default(40),
    /**
     * Workflows a worker keeps in memory between tasks. The SDK's default grows with the heap
     * limit (over 2,000 here), so memory grew with every open workflow; an evicted workflow is
     * replayed from its history at its next task, which for the long waits here is rare.
     */
    WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(40).max(10_000).default(250),
    /**
     * Whether the worker records where each workflow promise was made, for the Temporal UI's
     * "Stack Trace" (an engineer's view; operators read the payment's step in Current Details).
     * Off by default (the tab then says so): the capture cost a sixth of what a payment costs the
     * machine (docs/performance.md, "The eleventh session"). Turned on, a restarted worker replays
     * every open workflow from its history at its next task or query, so their stacks are whole.
     */
    WORKER_STACK_TRACES: stackTracesFlag,
    /** On SIGTERM, how long activities in flight may finish before they are cancelled (and retried elsewhere). */
    WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
    /** Prometheus metrics of the Temporal runtime (slots, schedule-to-start latency, failures): host:port, or "off". */
    WORKER_METRICS_ADDRESS: z
      .union([z.literal('off'), z.string().regex(/^[^:]+:\d+$/, 'must be host:port or off')])
      .default('127.0.0.1:9464'),
    /** GET /healthz on this port answers 200 while the worker polls and the database answers; 0: no health endpoint. */
    WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(9465),

    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: port.default(3000),
    /** How clients and providers reach the API (redirect and callback URLs are built from it). */
    PUBLIC_BASE_URL: z.url().optional(),
    /**
     * Bearer token for GET /metrics and the detailed GET /readyz: they describe the system's
     * insides, so they are not public. Required in production; in development and tests, unset
     * leaves them open.
     */
    METRICS_TOKEN:
      mode === 'production' ? z.string().min(24, 'must be at least 24 characters') : z.string().min(24).optional(),
    CORS_ORIGINS: csv.default([]),
    TRUST_PROXY: bool.default(false),
    /**
     * With TRUST_PROXY, how many proxies in front of the API append to X-Forwarded-For: the client
     * address is taken that many entries from the right. The entries further left are written by
     * the client and would let it pick the address every per-IP limit counts.
     */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),

    JWT_SECRET: secret('JWT_SECRET', 32),
    JWT_ISSUER: z.string().default('nexaspay'),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
    /** A refresh token's life: a session not refreshed for this long ends (idle timeout). */
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
    /** A session's absolute life from login: refreshing never extends it past this. */
    SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(365).default(30),

    /**
     * Request budgets (api/rateLimits.ts): requests per window, per client IP or per signed-in
     * user, by route class. Kept in each API process's memory: they protect capacity, so N
     * instances allow N times as much. Past a budget: 429 rate_limited with Retry-After.
     */
    RATE_LIMIT_PER_IP_PER_MINUTE: budget.default(1200),
    /** Login, registration and refresh, per IP. */
    RATE_LIMIT_AUTH_PER_IP_PER_MINUTE: budget.default(30),
    RATE_LIMIT_READS_PER_USER_PER_MINUTE: budget.default(600),
    /** Changes that move no money (beneficiaries, KYC, sign-outs), per user. */
    RATE_LIMIT_WRITES_PER_USER_PER_MINUTE: budget.default(60),
    /** Payment starts (top-up, transfer, payout, recharge, bill), per user. */
    RATE_LIMIT_PAYMENTS_PER_USER_PER_MINUTE: budget.default(30),
    RATE_LIMIT_BILL_FETCHES_PER_USER_PER_MINUTE: budget.default(10),
    /** Penny-drop verifications: each reveals an account holder's name and costs a provider call. */
    RATE_LIMIT_PENNY_DROPS_PER_USER_PER_DAY: budget.default(10),
    /**
     * Failed logins, counted in MariaDB (shared by every instance, kept across restarts): this
     * many for one login from one IP go free, then each further failure doubles a lock-out of
     * that login from that IP, from LOGIN_LOCKOUT_FIRST_SECONDS up to an hour.
     */
    LOGIN_FREE_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    LOGIN_LOCKOUT_FIRST_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Failed logins from one IP in a day, whatever the login, before that IP may not log in. */
    LOGIN_FAILURES_PER_IP_PER_DAY: budget.default(100),
    /** Top-up orders a user may have open (awaiting payment on PhonePe's page) at once. */
    TOPUP_MAX_OPEN_ORDERS: z.coerce.number().int().min(1).max(1000).default(5),

    /** PhonePe Standard Checkout v2; in development the local simulator. */
    PHONEPE_BASE_URL: mode === 'production' ? z.url() : z.url().default('http://127.0.0.1:4100/phonepe'),
    /** Production PhonePe issues tokens from another host (…/apis/identity-manager); default: PHONEPE_BASE_URL. */
    PHONEPE_AUTH_BASE_URL: z.url().optional(),
    PHONEPE_CLIENT_ID: secret('PHONEPE_CLIENT_ID', 1),
    PHONEPE_CLIENT_VERSION: z.string().min(1).default('1'),
    PHONEPE_CLIENT_SECRET: secret('PHONEPE_CLIENT_SECRET', 8),
    PHONEPE_WEBHOOK_USERNAME: secret('PHONEPE_WEBHOOK_USERNAME', 1),
    PHONEPE_WEBHOOK_PASSWORD: secret('PHONEPE_WEBHOOK_PASSWORD', 8),
    PHONEPE_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
    /** How long the customer has on PhonePe's page (PhonePe allows 300-3600 s). */
    TOPUP_EXPIRE_AFTER_SECONDS: z.coerce.number().int().min(300).max(3600).default(900),
    /** BBPS, recharge and payout providers; in development the local simulators. */
    BBPS_BASE_URL: mode === 'production' ? z.url() : z.url().default('http://127.0.0.1:4100/bbps'),
    BBPS_API_KEY: secret('BBPS_API_KEY', 8),
    BBPS_WEBHOOK_SECRET: secret('BBPS_WEBHOOK_SECRET', 16),
    RECHARGE_BASE_URL: mode === 'production' ? z.url() : z.url().default('http://127.0.0.1:4100/recharge'),
    RECHARGE_API_KEY: secret('RECHARGE_API_KEY', 8),
    RECHARGE_WEBHOOK_SECRET: secret('RECHARGE_WEBHOOK_SECRET', 16),
    PAYOUT_BASE_URL: mode === 'production' ? z.url() : z.url().default('http://127.0.0.1:4100/payout'),
    PAYOUT_API_KEY: secret('PAYOUT_API_KEY', 8),
    PAYOUT_WEBHOOK_SECRET: secret('PAYOUT_WEBHOOK_SECRET', 16),
    PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
    /**
     * How long a workflow keeps retrying one provider call (every provider, PhonePe included)
     * before it parks the payment in NEEDS_ATTENTION, money held, for ops to see.
     */
    PROVIDER_CALL_BUDGET_SECONDS: z.coerce.number().int().min(5).max(86_400).default(180),
    /** Signed webhooks older than this are refused (replay protection). */
    WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),

    /** Beneficiary account numbers: AES-256-GCM key, and the HMAC key of the uniqueness hash. */
    BENEFICIARY_ENCRYPTION_KEY:
      mode === 'production' ? base64Key32 : base64Key32.default(DEV_SECRETS.BENEFICIARY_ENCRYPTION_KEY),
    BENEFICIARY_HASH_KEY: secret('BENEFICIARY_HASH_KEY', 32),
    /** Users' TOTP secrets at rest: AES-256-GCM key. */
    TWO_FACTOR_ENCRYPTION_KEY:
      mode === 'production' ? base64Key32 : base64Key32.default(DEV_SECRETS.TWO_FACTOR_ENCRYPTION_KEY),
    /** KYC details at rest (PAN, address, date of birth): AES-256-GCM key. */
    KYC_ENCRYPTION_KEY: mode === 'production' ? base64Key32 : base64Key32.default(DEV_SECRETS.KYC_ENCRYPTION_KEY),
    /**
     * During a key rotation, the key being replaced: values sealed with it still open until
     * `npm run reseal` has sealed them again with the new one (docs/security.md).
     */
    BENEFICIARY_ENCRYPTION_KEY_PREVIOUS: base64Key32.optional(),
    TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS: base64Key32.optional(),
    KYC_ENCRYPTION_KEY_PREVIOUS: base64Key32.optional(),
    /** The name authenticator apps show for the account. */
    TWO_FACTOR_ISSUER: z.string().min(1).max(40).default('NexasPay'),
    /** With two-factor on, a payout above this many rupees needs a code as well. */
    TWO_FACTOR_PAYOUT_ABOVE: z
      .string()
      .regex(/^\d{1,7}(\.\d{1,2})?$/, 'rupees, e.g. "10000.00"')
      .default('10000.00'),
    /** Refunds above this many rupees are carried out only once a second admin approves them. */
    FOUR_EYES_REFUND_ABOVE: z
      .string()
      .regex(/^\d{1,7}(\.\d{1,2})?$/, 'rupees, e.g. "5000.00"')
      .default('5000.00'),
    /** How long the second step of a login (the code) may follow the password. */
    TWO_FACTOR_CHALLENGE_SECONDS: z.coerce.number().int().min(60).max(900).default(300),

    /** A flat fee on wallet-to-wallet transfers, in rupees, paid by the sender to FEE_INCOME. */
    TRANSFER_FEE: z
      .string()
      .regex(/^\d{1,7}(\.\d{1,2})?$/, 'rupees, e.g. "5.00"')
      .default('0.00'),
    /** The most the platform pays out in commissions per service, as a share of the amount. */
    COMMISSION_MARGIN_RECHARGE: rateText.default('0.0300'),
    COMMISSION_MARGIN_BILL: rateText.default('0.0100'),
    /** How long a settled recharge, bill or payout keeps listening for a provider reversal. */
    REVERSAL_WATCH_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(72),
    /**
     * How often the reversal sweep looks for settled payments whose provider check is due (one
     * falls due every sixth of the watch). Read when the schedule is first created.
     */
    REVERSAL_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),

    /** Scales every polling interval and window (1 in production; demos may shorten them). */
    POLLING_TIME_SCALE: z.coerce.number().positive().max(1).default(1),

    /** The provider simulators' process (never part of the engine in production). */
    SIMULATOR_HOST: z.string().default('127.0.0.1'),
    SIMULATOR_PORT: port.default(4100),
    /** How browsers reach the simulator's checkout page. */
    SIMULATOR_PUBLIC_URL: z.url().optional(),
    /** Where the simulators send webhooks: the engine API. */
    SIMULATOR_CALLBACK_BASE_URL: z.url().optional(),
  });
}

export type Config = z.infer<ReturnType<typeof schemaFor>> & { PUBLIC_BASE_URL: string };

export class ConfigError extends Error {}

/** WORKER_STACK_TRACES alone, for a worker that loads no other configuration (the bench's trivial one). */
export const workerStackTracesOf = (env: NodeJS.ProcessEnv = process.env): boolean =>
  stackTracesFlag.parse(env.WORKER_STACK_TRACES);

/** How the engine's gRPC calls to Temporal are compressed (TEMPORAL_GRPC_COMPRESSION). */
export type GrpcCompression = z.infer<typeof grpcCompressionCodec>;

/** TEMPORAL_GRPC_COMPRESSION alone, for the bench's processes that load no other configuration. */
export const temporalGrpcCompressionOf = (env: NodeJS.ProcessEnv = process.env): GrpcCompression =>
  grpcCompressionCodec.parse(env.TEMPORAL_GRPC_COMPRESSION);

/** The reversal watch's window in ms: what held payments carry, and what spaces the watch's checks. */
export const reversalWatchMsOf = (config: Pick<Config, 'REVERSAL_WATCH_HOURS'>): number =>
  Math.round(config.REVERSAL_WATCH_HOURS * 3_600_000);

/** Every variable the schema knows, for checks such as docker-compose's environment. */
export function knownVariables(): string[] {
  return Object.keys(schemaFor('development').shape);
}

/** Variables production requires (no default there). */
export function requiredInProduction(): string[] {
  const shape = schemaFor('production').shape;
  return Object.entries(shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // No default: a production process started without NODE_ENV must not run as development
  // (simulator URLs and development secrets allowed). npm run dev and npm test set it.
  if (env.NODE_ENV === undefined) {
    throw new ConfigError(
      `NODE_ENV is not set: set it to ${MODES.join(', ')} (npm run dev and npm test set it themselves)`,
    );
  }
  const mode = z.enum(MODES).safeParse(env.NODE_ENV);
  if (!mode.success) throw new ConfigError(`NODE_ENV must be one of ${MODES.join(', ')} (got "${env.NODE_ENV}")`);
  const parsed = schemaFor(mode.data).safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  if (c.WORKER_ACTIVITY_SLOTS !== undefined && c.WORKER_ACTIVITY_SLOTS > c.DB_POOL_MAX) {
    throw new ConfigError(
      `invalid configuration:\n  WORKER_ACTIVITY_SLOTS: ${c.WORKER_ACTIVITY_SLOTS} activities at once would wait on a pool of DB_POOL_MAX=${c.DB_POOL_MAX} connections; raise DB_POOL_MAX or lower the slots`,
    );
  }
  if (mode.data === 'production') {
    const problems = productionProblems(c);
    if (problems.length > 0) throw new ConfigError(`refusing to start in production:\n  ${problems.join('\n  ')}`);
  }
  return { ...c, PUBLIC_BASE_URL: c.PUBLIC_BASE_URL ?? `http://${c.API_HOST}:${c.API_PORT}` };
}

const PROVIDER_URLS = [
  'PHONEPE_BASE_URL',
  'PHONEPE_AUTH_BASE_URL',
  'BBPS_BASE_URL',
  'RECHARGE_BASE_URL',
  'PAYOUT_BASE_URL',
] as const;

/**
 * Hosts that can only be this machine or the compose network's simulator service (as WHATWG URL
 * parsing normalises them: IPv6 in brackets, IPv4-mapped loopback as [::ffff:7f..]).
 */
const LOCAL_HOST =
  /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]|simulators?)$/i;

/**
 * What production must never run with, named by variable: a provider URL that is not the
 * provider (a simulator, this machine, plain http), a development secret, compressed timing.
 */
function productionProblems(c: z.infer<ReturnType<typeof schemaFor>>): string[] {
  const problems: string[] = [];
  for (const name of PROVIDER_URLS) {
    const value = c[name];
    if (value === undefined) continue;
    const url = new URL(value);
    const host = url.hostname.replace(/\.$/, '');
    if (url.username || url.password) {
      problems.push(`${name}: carries credentials in the URL; providers' keys have their own variables`);
    } else if (LOCAL_HOST.test(host) || url.port === '4100' || url.pathname.includes('/__sim')) {
      problems.push(`${name}: ${value} is a simulator or this machine; production needs the provider's URL`);
    } else if (url.protocol !== 'https:') {
      problems.push(`${name}: ${value} is not https`);
    }
  }
  if (!c.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL: required (how customers and providers reach the API)');
  else if (new URL(c.PUBLIC_BASE_URL).protocol !== 'https:') {
    problems.push(`PUBLIC_BASE_URL: ${c.PUBLIC_BASE_URL} is not https (customers are sent there from PhonePe)`);
  }
  for (const [name, devValue] of Object.entries(DEV_SECRETS)) {
    // Keys are compared as the bytes they decode to: base64 has more than one spelling of a key.
    const same = (v: unknown) =>
      typeof v === 'string' &&
      (name.endsWith('ENCRYPTION_KEY')
        ? Buffer.from(v, 'base64').equals(Buffer.from(devValue, 'base64'))
        : v === devValue);
    for (const variable of [name, `${name}_PREVIOUS`]) {
      if (same(c[variable as keyof typeof c])) {
        problems.push(`${variable}: is the development value; set a secret of your own`);
      }
    }
  }
  if (c.POLLING_TIME_SCALE !== 1)
    problems.push(`POLLING_TIME_SCALE: must be 1 in production (is ${c.POLLING_TIME_SCALE})`);
  return problems;
}

/** For process entry points: print the problem in one place and stop. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`nexaspay: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
