/** The operations console: a single page over the admin API, routed by the URL's hash. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, onSessionChange, signOut } from './api';
import { Dashboard } from './pages/dashboard';
import { PaymentPage } from './pages/payment';
import { SignIn } from './pages/signIn';
import { Stuck } from './pages/stuck';
import { UserPage, Users } from './pages/users';
import './styles.css';

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const f = () => setHash(location.hash || '#/');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

function page(hash: string) {
  let parts: string[];
  try {
    parts = hash.slice(1).split('/').map(decodeURIComponent);
  } catch {
    parts = []; // a hand-typed, malformed address: the dashboard
  }
  const [, section = '', id] = parts;
  if (section === 'stuck') return <Stuck />;
  if (section === 'payments' && id) return <PaymentPage key={id} id={id} />;
  if (section === 'users' && id) return <UserPage key={id} id={id} />;
  // Keyed, so the list and the KYC queue never share a search or a page.
  if (section === 'users') return <Users key="users" kycQueue={false} />;
  if (section === 'kyc') return <Users key="kyc" kycQueue />;
  return <Dashboard />;
}

const NAV = [
  ['#/', 'Dashboard'],
  ['#/stuck', 'Stuck payments'],
  ['#/users', 'Users'],
  ['#/kyc', 'KYC queue'],
] as const;

function App() {
  const [session, setSession] = useState(currentSession());
  useEffect(() => onSessionChange(() => setSession(currentSession())), []);
  const hash = useHash();
  if (!session) return <SignIn />;
  const here = `#/${hash.slice(2).split('/')[0] ?? ''}`;
  return (
    <>
      <header>
        <strong>NexasPay ops</strong>
        <nav aria-label="Console">
          {NAV.map(([href, label]) => (
            <a href={href} aria-current={here === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.user.fullName ?? session.user.userCode}{' '}
          <button type="button" class="secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main>{page(hash)}</main>
    </>
  );
}

render(<App />, document.getElementById('console')!);
