/**
 * The request helper of the API-key providers (BBPS, recharge, payout): JSON over HTTPS with
 * `X-Api-Key`, a hard timeout, answers parsed with zod, failures classified by providers/http.ts
 * (a create that times out or gets a 5xx is an unknown outcome). A 404 on a lookup means "never
 * seen", which callers get as null.
 */
import { ZodType } from 'zod';
import { failFor, parseAnswer, ProviderCall, send } from './http';

export interface KeyedApiOptions {
  provider: string;
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export function keyedApi(o: KeyedApiOptions) {
  const base = o.baseUrl.replace(/\/$/, '');
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: ZodType<T>,
    opts: { body?: unknown; creates?: boolean; nullIfNotFound?: boolean } = {},
  ): Promise<T | null> {
    const c: ProviderCall = {
      provider: o.provider,
      method,
      url: `${base}${path}`,
      headers: {
        'x-api-key': o.apiKey,
        accept: 'application/json',
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      timeoutMs: o.timeoutMs,
      creates: opts.creates ?? false,
    };
    const res = await send(c);
    if (res.status === 404 && opts.nullIfNotFound) return null;
    if (res.status < 200 || res.status >= 300) failFor(c, res);
    return parseAnswer(c, schema, res);
  }
  return {
    get: <T>(path: string, schema: ZodType<T>) => call('GET', path, schema) as Promise<T>,
    find: <T>(path: string, schema: ZodType<T>) => call('GET', path, schema, { nullIfNotFound: true }),
    create: <T>(path: string, body: unknown, schema: ZodType<T>) =>
      call('POST', path, schema, { body, creates: true }) as Promise<T>,
    post: <T>(path: string, body: unknown, schema: ZodType<T>) => call('POST', path, schema, { body }) as Promise<T>,
  };
}
