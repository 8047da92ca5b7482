import { useState } from 'preact/hooks';
import { ApiError, signIn, signInSecondFactor } from '../api';
import { errorText } from '../ui';

/** Password, then the authenticator code: admins always have two-factor on. */
export function SignIn() {
  const [challenge, setChallenge] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      if (!challenge) {
        const next = await signIn(String(form.get('login')), String(form.get('password')));
        if (next) setChallenge(next.challengeToken);
      } else {
        await signInSecondFactor(challenge, String(form.get('code')));
      }
    } catch (err) {
      setError(errorText(err));
      if (challenge && err instanceof ApiError && err.status === 401) setChallenge(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>NexasPay operations console</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby={error ? 'sign-in-error' : undefined}>
        {!challenge ? (
          <>
            <label>
              Email, username or phone
              <input name="login" autoComplete="username" required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        ) : (
          <label>
            Code from your authenticator app
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required autoFocus />
          </label>
        )}
        {error && (
          <p id="sign-in-error" role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {challenge ? 'Verify' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
