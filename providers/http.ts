/**
 * The one HTTP helper provider clients use: JSON in and out, a hard timeout, and classification
 * of failures into the provider error types. Whether a timeout is "unavailable" or "outcome
 * unknown" depends on whether the call creates something, which the caller says.
 */
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

export async function send(call: ProviderCall, fetchImpl: typeof fetch = fetch): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await fetchImpl(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (err) {
    const what = `${call.provider} ${call.method} ${new URL(call.url).pathname}`;
    const timedOut = (err as Error).name === 'TimeoutError';
    // A request that may have reached the provider is an unknown outcome for a create call.
    if (call.creates)
      throw new ProviderOutcomeUnknownError(
        `${what}: ${timedOut ? 'timed out' : (err as Error).message}; outcome unknown`,
      );
    throw new ProviderUnavailableError(`${what}: ${timedOut ? 'timed out' : (err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = { raw: text.slice(0, 200) };
  }
  return { status: res.status, json };
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
