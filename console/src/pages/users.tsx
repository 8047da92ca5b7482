/** Users: search, the KYC queue with approve and reject, limits, and where a user sits in the hierarchy. */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { inr } from '../format';
import { errorText, Loading, Notice, useApi, useFilterForm } from '../ui';

interface UserRow {
  id: number;
  userCode: string;
  email: string;
  phone: string;
  fullName: string | null;
  role: string;
  kycStatus: string;
  isActive: boolean;
}
interface Member {
  level: number;
  id: number;
  userCode: string;
  fullName: string | null;
  role: string;
}
interface UserDetail extends UserRow {
  dailyLimit: string;
  monthlyLimit: string;
  commissionRate: string;
  uplines: Member[];
  downline: Array<Member & { kycStatus: string; parentUserCode: string | null }>;
}

const PAGE = 50;

export function Users(props: { kycQueue: boolean }) {
  const form = useFilterForm({ q: '' });
  const q = form.applied.q.trim();
  // The cursor of every page the admin went on to, the last one this page's: so they can page back.
  const [trail, setTrail] = useState<string[]>([]);
  const cursor = trail[trail.length - 1];
  const path =
    `/v1/admin/users?limit=${PAGE}` +
    (props.kycQueue ? '&kycStatus=pending' : q ? `&q=${encodeURIComponent(q)}` : '') +
    (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
  const list = useApi<{ items: UserRow[]; nextCursor: string | null }>(path);
  const [message, setMessage] = useState<string | null>(null);

  const decide = async (u: UserRow, status: 'verified' | 'rejected') => {
    const reason = status === 'rejected' ? window.prompt(`Why is the KYC of ${u.userCode} rejected?`) : null;
    if (status === 'rejected' && !reason) return;
    try {
      await api('POST', `/v1/admin/users/${u.id}/kyc`, reason ? { status, reason } : { status });
      setMessage(`KYC of ${u.userCode} ${status === 'verified' ? 'approved' : 'rejected'}.`);
      list.reload();
    } catch (err) {
      setMessage(errorText(err));
    }
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{props.kycQueue ? 'KYC queue' : 'Users'}</h1>
      {!props.kycQueue && (
        <form
          role="search"
          class="range"
          onSubmit={(e) => {
            form.onSubmit(e);
            setTrail([]);
          }}
        >
          <label>
            User code, email, phone or name
            <input type="search" {...form.field('q')} />
          </label>
          <button type="submit">Search</button>
        </form>
      )}
      <Notice message={message} />
      <Loading error={list.error} loading={list.loading && !list.data} />
      {list.data &&
        (list.data.items.length === 0 ? (
          <p>
            {trail.length > 0
              ? 'Nothing is left on this page; go back with Newer.'
              : props.kycQueue
                ? 'No KYC is waiting.'
                : 'No user matches.'}
          </p>
        ) : (
          <table aria-label={props.kycQueue ? 'KYC waiting for a decision' : 'Users'}>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">KYC</th>
                <th scope="col">Active</th>
                {props.kycQueue && <th scope="col">Decision</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((u) => (
                <tr data-user={u.userCode}>
                  <th scope="row">
                    <a href={`#/users/${u.id}`}>{u.userCode}</a>
                  </th>
                  <td>{u.fullName ?? u.email}</td>
                  <td>{u.role}</td>
                  <td>{u.kycStatus}</td>
                  <td>{u.isActive ? 'yes' : 'no'}</td>
                  {props.kycQueue && (
                    <td class="actions">
                      <button type="button" onClick={() => void decide(u, 'verified')}>
                        Approve
                      </button>
                      <button type="button" class="secondary" onClick={() => void decide(u, 'rejected')}>
                        Reject…
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {list.data && (trail.length > 0 || list.data.nextCursor) && (
        <nav class="actions" aria-label="Pages">
          <span>
            Page {trail.length + 1}, newest first{list.data.nextCursor ? '; there are more' : ''}.
          </span>
          {trail.length > 0 && (
            <button
              type="button"
              class="secondary"
              disabled={list.loading}
              onClick={() => setTrail(trail.slice(0, -1))}
            >
              Newer
            </button>
          )}
          {list.data.nextCursor && (
            // Off while a page loads: the rows and cursor on screen are still the last page's.
            <button type="button" disabled={list.loading} onClick={() => setTrail([...trail, list.data!.nextCursor!])}>
              Older
            </button>
          )}
        </nav>
      )}
    </section>
  );
}

export function UserPage(props: { id: string }) {
  const u = useApi<UserDetail>(`/v1/admin/users/${encodeURIComponent(props.id)}`);
  const [message, setMessage] = useState<string | null>(null);
  if (!u.data) return <Loading error={u.error} loading={u.loading} />;
  const d = u.data;
  const saveLimits = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      await api('PATCH', `/v1/admin/users/${d.id}`, {
        dailyLimit: f.get('dailyLimit'),
        monthlyLimit: f.get('monthlyLimit'),
      });
      setMessage('Limits saved.');
      u.reload();
    } catch (err) {
      setMessage(errorText(err));
    }
  };
  return (
    <section aria-labelledby="user-title">
      <h1 id="user-title">
        {d.userCode} · {d.fullName ?? d.email}
      </h1>
      <dl class="facts">
        <dt>Role</dt>
        <dd>{d.role}</dd>
        <dt>KYC</dt>
        <dd>{d.kycStatus}</dd>
        <dt>Active</dt>
        <dd>{d.isActive ? 'yes' : 'no'}</dd>
        <dt>Commission rate</dt>
        <dd>{d.commissionRate}</dd>
      </dl>
      <h2>Limits</h2>
      <form class="range" onSubmit={(e) => void saveLimits(e)} aria-label="Limits">
        <label>
          Daily (₹) <input name="dailyLimit" defaultValue={d.dailyLimit} inputMode="decimal" required />
        </label>
        <label>
          Monthly (₹) <input name="monthlyLimit" defaultValue={d.monthlyLimit} inputMode="decimal" required />
        </label>
        <button type="submit">Save limits</button>
        <span>
          now {inr(d.dailyLimit)} a day, {inr(d.monthlyLimit)} a month
        </span>
      </form>
      <Notice message={message} />
      <h2>Hierarchy</h2>
      <p>
        Above:{' '}
        {d.uplines.length === 0
          ? 'nobody'
          : d.uplines.map((m, i) => (
              <>
                {i > 0 && ' → '}
                <a href={`#/users/${m.id}`}>{m.userCode}</a> ({m.role}, level {m.level})
              </>
            ))}
      </p>
      {d.downline.length > 0 && (
        <table aria-label="Network below">
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Under</th>
              <th scope="col">KYC</th>
            </tr>
          </thead>
          <tbody>
            {d.downline.map((m) => (
              <tr>
                <td>{m.level}</td>
                <th scope="row">
                  <a href={`#/users/${m.id}`}>{m.userCode}</a> {m.fullName}
                </th>
                <td>{m.role}</td>
                <td>{m.parentUserCode}</td>
                <td>{m.kycStatus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
