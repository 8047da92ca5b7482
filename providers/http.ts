/**
 * The one HTTP helper provider clients use: JSON in and out, a hard timeout, and classification
 * of failures into the provider error types. Whether a timeout is "unavailable" or "outcome
 * unknown" depends on whether the call creates something, which the caller says.
 */
import { request } from 'undici';
import { ZodType } from 'zod';
import { ProviderOutcomeUnknownError, ProviderRejectedError, ProviderUnavailableError } from '../domain/providerErrors';

export interface ProviderCall {
  provider: string;
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** True for calls that create something (pay, refund): failures in flight are outcome-unknown. */
  creates: boolean;
}

export interface ProviderResponse {
  status: number;
  json: unknown;
}

/** What went over the wire: the status and the raw body. */
export interface RawAnswer {
  status: number;
  text: string;
}

/** Carries one call to the provider and back; tests pass their own. */
export type HttpTransport = (call: ProviderCall) => Promise<RawAnswer>;

/**
 * undici's request API rather than `fetch` (undici too, under WHATWG layers that cost the worker
 * several times the call's own CPU: docs/performance.md, "The tenth session"). Keep-alive pools
 * per origin, as `fetch`'s. The signal bounds the whole call, its body
 * included, and rejects with a TimeoutError as `fetch` did.
 */
export const undiciTransport: HttpTransport = async (call) => {
  const res = await request(call.url, {
    method: call.method,
    headers: call.headers,
    body: call.body,
    signal: AbortSignal.timeout(call.timeoutMs),
  });
  return { status: res.statusCode, text: await res.body.text() };
};

/**
 * Makes the call. Anything that stops it before the whole answer is in (refused, reset, timed
 * out before the headers or in the middle of the body) is classified here: unavailable, or an
 * unknown outcome for a call that creates something, since the request may have reached the provider.
 */
export async function send(call: ProviderCall, transport: HttpTransport = undiciTransport): Promise<ProviderResponse> {
  let raw: RawAnswer;
  try {
    raw = await transport(call);
  } catch (err) {
    const what = `${call.provider} ${call.method} ${new URL(call.url).pathname}`;
    const timedOut = (err as Error).name === 'TimeoutError';
    if (call.creates)
      throw new ProviderOutcomeUnknownError(
        `${what}: ${timedOut ? 'timed out' : (err as Error).message}; outcome unknown`,
      );
    throw new ProviderUnavailableError(`${what}: ${timedOut ? 'timed out' : (err as Error).message}`);
  }
  let json: unknown = undefined;
  try {
    json = raw.text ? JSON.parse(raw.text) : undefined;
  } catch {
    json = { raw: raw.text.slice(0, 200) };
  }
  return { status: raw.status, json };
}

/** Turns a non-2xx answer into the right error; 401 is left to the caller (token refresh). */
export function failFor(call: ProviderCall, res: ProviderResponse): never {
  const what = `${call.provider} ${call.method} ${new URL(call.url).pathname}`;
  const body = (res.json ?? {}) as { code?: string; message?: string };
  const details = { httpStatus: res.status, code: body.code, message: body.message };
  if (res.status >= 500) {
    if (call.creates) throw new ProviderOutcomeUnknownError(`${what}: HTTP ${res.status}; outcome unknown`, details);
    throw new ProviderUnavailableError(`${what}: HTTP ${res.status}`, details);
  }
  if (res.status === 429) throw new ProviderUnavailableError(`${what}: rate limited`, details);
  throw new ProviderRejectedError(
    `${what}: HTTP ${res.status} ${body.code ?? ''} ${body.message ?? ''}`.trim(),
    details,
  );
}

/** Parses a provider answer; one that does not parse is treated as a transient fault, never guessed at. */
export function parseAnswer<T>(call: ProviderCall, schema: ZodType<T>, res: ProviderResponse): T {
  const parsed = schema.safeParse(res.json);
  if (!parsed.success) {
    throw new ProviderUnavailableError(`${call.provider} ${new URL(call.url).pathname}: unexpected response shape`, {
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return parsed.data;
}
