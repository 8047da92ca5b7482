/**
 * PhonePe's OAuth access token, cached for the client's lifetime. PhonePe asks merchants not to
 * fetch a token per request, so it is refreshed only shortly before `expires_at`, and callers
 * arriving while a fetch is in flight wait for that fetch instead of starting their own.
 */
export interface AccessToken {
  /** The value for the Authorization header, scheme included ("O-Bearer …"). */
  header: string;
  /** Epoch seconds, PhonePe's clock. */
  expiresAt: number;
  issuedAt?: number;
}

export interface TokenSource {
  get(): Promise<AccessToken>;
  /** The provider refused this token (401): drop it, unless a newer one already replaced it. */
  invalidate(rejected: AccessToken): void;
}

const MAX_MARGIN_S = 60;

export function createTokenSource(fetchToken: () => Promise<AccessToken>, now: () => number): TokenSource {
  let current: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  // A token shorter-lived than two margins (sandboxes, tests) would otherwise be refetched on
  // every call; half its lifetime is margin enough for it.
  const refreshAt = (t: AccessToken) => {
    const lifetime = t.issuedAt !== undefined ? t.expiresAt - t.issuedAt : Infinity;
    return t.expiresAt - Math.min(MAX_MARGIN_S, lifetime / 2);
  };

  return {
    get() {
      if (current && now() / 1000 < refreshAt(current)) return Promise.resolve(current);
      inFlight ??= fetchToken()
        .then((t) => (current = t))
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
    invalidate(rejected) {
      if (current === rejected) current = undefined;
    },
  };
}
