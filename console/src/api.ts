/**
 * The console's only way to the server: the same REST API clients use, with the admin's tokens.
 * Tokens live in sessionStorage (gone when the tab closes); the CSP allows no script but ours.
 */
export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: number; userCode: string; fullName: string | null; role: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY = 'nexaspay.console.session';
let session: Session | null = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
const listeners = new Set<() => void>();

export const currentSession = () => session;
export function onSessionChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
function setSession(s: Session | null): void {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((f) => f());
}

async function send(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function parse<T>(res: Response): Promise<T> {
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? `the server answered ${res.status}`);
  }
  return json as T;
}

/**
 * One refresh at a time: a refresh token is single-use, and the server treats a second use as
 * theft (it ends the session). Calls that meet an expired token together share one refresh.
 */
let refreshing: Promise<boolean> | null = null;
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const s = session;
    if (!s) return false;
    const res = await send('POST', '/v1/auth/refresh', { refreshToken: s.refreshToken });
    if (!res.ok) return false;
    const t = (await res.json()) as { accessToken: string; refreshToken: string };
    setSession({ ...s, accessToken: t.accessToken, refreshToken: t.refreshToken });
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Sends with the current token; after a 401, once more with the token a (shared) refresh gave. */
async function authorised(method: string, path: string, body?: unknown): Promise<Response> {
  const token = session?.accessToken;
  let res = await send(method, path, body, token);
  if (res.status === 401 && token) {
    // Another call may have refreshed already; otherwise refresh now.
    const fresh = session?.accessToken !== token || (await refresh());
    if (fresh) res = await send(method, path, body, session?.accessToken);
  }
  if (res.status === 401) setSession(null);
  return res;
}

/** An authenticated call; an expired access token is refreshed once, then the admin signs in again. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return parse<T>(await authorised(method, path, body));
}

/** A CSV report, fetched with the admin's token and handed to the browser as a download. */
export async function download(path: string): Promise<void> {
  const res = await authorised('GET', path);
  if (!res.ok) return void (await parse(res));
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'report.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  URL.revokeObjectURL(url);
}

type SignedIn = Omit<Session, 'user'> & { user: Session['user'] };
type LoginAnswer = SignedIn | { twoFactorRequired: true; challengeToken: string };

async function accept(s: SignedIn): Promise<void> {
  if (s.user.role !== 'admin') {
    // Signed in all the same: end that session rather than leave it open.
    await send('POST', '/v1/auth/logout', { refreshToken: s.refreshToken }, s.accessToken).catch(() => undefined);
    throw new ApiError(403, 'forbidden', 'The console is for admins only.');
  }
  setSession({ accessToken: s.accessToken, refreshToken: s.refreshToken, user: s.user });
}

/** First step: a password; admins then give their second factor. */
export async function signIn(login: string, password: string): Promise<{ challengeToken: string } | null> {
  const a = await parse<LoginAnswer>(await send('POST', '/v1/auth/login', { login, password }));
  if ('twoFactorRequired' in a) return { challengeToken: a.challengeToken };
  await accept(a);
  return null;
}

export async function signInSecondFactor(challengeToken: string, code: string): Promise<void> {
  await accept(await parse<SignedIn>(await send('POST', '/v1/auth/login/2fa', { challengeToken, code })));
}

export async function signOut(): Promise<void> {
  const s = session;
  setSession(null);
  if (s) await send('POST', '/v1/auth/logout', { refreshToken: s.refreshToken }, s.accessToken).catch(() => undefined);
}

/** What a recheck did: the workflow asks now, a recovery or reversal run asks, or nothing was left to ask. */
export type RecheckOutcome = 'asked' | 'recovery' | 'reversal' | 'nothing';

export async function recheckPayment(id: string): Promise<RecheckOutcome> {
  const r = await api<{ signalled: boolean; recoveryStarted: boolean; reversalRun?: string }>(
    'POST',
    `/v1/admin/payments/${encodeURIComponent(id)}/recheck`,
  );
  return r.signalled ? 'asked' : r.recoveryStarted ? 'recovery' : r.reversalRun ? 'reversal' : 'nothing';
}

export const RECHECK_SAID: Record<RecheckOutcome, string> = {
  asked: 'the payment asks its provider now',
  recovery: 'its workflow had stopped: a recovery run asks the provider now',
  reversal: 'settled: a reversal run asks the provider now',
  nothing: 'nothing to ask (its workflow has closed and its reversal window is over)',
};
