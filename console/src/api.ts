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

async function refresh(): Promise<boolean> {
  if (!session) return false;
  const res = await send('POST', '/v1/auth/refresh', { refreshToken: session.refreshToken });
  if (!res.ok) return false;
  const t = (await res.json()) as { accessToken: string; refreshToken: string };
  setSession({ ...session, accessToken: t.accessToken, refreshToken: t.refreshToken });
  return true;
}

/** An authenticated call; an expired access token is refreshed once, then the admin signs in again. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body, session?.accessToken);
  if (res.status === 401 && (await refresh())) res = await send(method, path, body, session?.accessToken);
  if (res.status === 401) setSession(null);
  return parse<T>(res);
}

/** A CSV report, fetched with the admin's token and handed to the browser as a download. */
export async function download(path: string): Promise<void> {
  let res = await send('GET', path, undefined, session?.accessToken);
  if (res.status === 401 && (await refresh())) res = await send('GET', path, undefined, session?.accessToken);
  if (!res.ok) return void (await parse(res));
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'report.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  URL.revokeObjectURL(url);
}

type SignedIn = Omit<Session, 'user'> & { user: Session['user'] };
type LoginAnswer = SignedIn | { twoFactorRequired: true; challengeToken: string };

function accept(s: SignedIn): void {
  if (s.user.role !== 'admin') throw new ApiError(403, 'forbidden', 'The console is for admins only.');
  setSession({ accessToken: s.accessToken, refreshToken: s.refreshToken, user: s.user });
}

/** First step: a password; admins then give their second factor. */
export async function signIn(login: string, password: string): Promise<{ challengeToken: string } | null> {
  const a = await parse<LoginAnswer>(await send('POST', '/v1/auth/login', { login, password }));
  if ('twoFactorRequired' in a) return { challengeToken: a.challengeToken };
  accept(a);
  return null;
}

export async function signInSecondFactor(challengeToken: string, code: string): Promise<void> {
  accept(await parse<SignedIn>(await send('POST', '/v1/auth/login/2fa', { challengeToken, code })));
}

export async function signOut(): Promise<void> {
  const s = session;
  setSession(null);
  if (s) await send('POST', '/v1/auth/logout', { refreshToken: s.refreshToken }, s.accessToken).catch(() => undefined);
}
