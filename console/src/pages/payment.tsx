/** One payment: what happened (timeline), what the ledger did, what providers told us. */
import { useState } from 'preact/hooks';
import { RECHECK_SAID, recheckPayment } from '../api';
import { inr, istTime } from '../format';
import { errorText, Loading, Notice, useApi } from '../ui';
import { ResolveDialog } from './stuck';

interface AdminPayment {
  paymentId: string;
  kind: string;
  status: string;
  amount: string;
  fee: string;
  userId: number;
  userCode: string | null;
  workflowId: string;
  temporalUrl: string;
  attention: string | null;
  failureReason?: string;
  provider: Record<string, string | null>;
  timeline: Array<{ status: string; at: string; note?: string; actor?: string }>;
  journals: Array<{
    reference: string;
    ledgerType: string;
    createdAt: string;
    lines: Array<{ account: string; debit: string; credit: string; balanceAfter: string }>;
  }>;
  holds: Array<{
    reference: string;
    amount: string;
    status: string;
    capturedAmount: string | null;
    releaseReason: string | null;
  }>;
  webhooks: Array<{
    id: number;
    provider: string;
    eventType: string;
    receivedAt: string;
    signalledAt: string | null;
    undeliveredReason: string | null;
  }>;
}

const OPEN = ['CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'NEEDS_ATTENTION'];

export function PaymentPage(props: { id: string }) {
  const p = useApi<AdminPayment>(`/v1/admin/payments/${encodeURIComponent(props.id)}`);
  const [message, setMessage] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const recheck = async () => {
    try {
      setMessage(`Recheck: ${RECHECK_SAID[await recheckPayment(props.id)]}.`);
      p.reload();
    } catch (err) {
      setMessage(errorText(err));
    }
  };
  if (!p.data) return <Loading error={p.error} loading={p.loading} />;
  const d = p.data;
  return (
    <section aria-labelledby="payment-title">
      <h1 id="payment-title">
        Payment {d.paymentId} <span class={`status status-${d.status}`}>{d.status}</span>
      </h1>
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{d.kind}</dd>
        <dt>Amount</dt>
        <dd>{inr(d.amount)}</dd>
        <dt>Fee</dt>
        <dd>{inr(d.fee)}</dd>
        <dt>User</dt>
        <dd>
          <a href={`#/users/${d.userId}`}>{d.userCode ?? d.userId}</a>
        </dd>
        <dt>Workflow</dt>
        <dd>
          <a href={d.temporalUrl} target="_blank" rel="noreferrer">
            {d.workflowId}
          </a>
        </dd>
        {Object.entries(d.provider)
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <>
              <dt>{k === 'ref' ? 'Provider reference' : `Provider ${k}`}</dt>
              <dd>{v}</dd>
            </>
          ))}
        {(d.attention ?? d.failureReason) && (
          <>
            <dt>Why</dt>
            <dd>{d.attention ?? d.failureReason}</dd>
          </>
        )}
      </dl>
      <div class="bulk">
        <button type="button" onClick={() => void recheck()}>
          Recheck with the provider
        </button>
        {OPEN.includes(d.status) && (
          <button type="button" class="secondary" onClick={() => setResolving(true)}>
            Resolve…
          </button>
        )}
      </div>
      <Notice message={message} />
      <h2>Timeline</h2>
      <ol class="timeline">
        {d.timeline.map((e) => (
          <li>
            <time dateTime={e.at}>{istTime(e.at)}</time> <strong>{e.status}</strong>
            {e.note && <span> — {e.note}</span>}
            {e.actor && <span> (by {e.actor})</span>}
          </li>
        ))}
      </ol>
      <h2>Ledger</h2>
      {d.holds.map((h) => (
        <p>
          Hold <code>{h.reference}</code>: {inr(h.amount)}, {h.status}
          {h.capturedAmount && <> ({inr(h.capturedAmount)} captured)</>}
          {h.releaseReason && <> — {h.releaseReason}</>}
        </p>
      ))}
      {d.journals.length === 0 ? (
        <p>No posting yet.</p>
      ) : (
        d.journals.map((j) => (
          <table aria-label={`Journal ${j.reference}`}>
            <caption>
              <code>{j.reference}</code> · {j.ledgerType} · {istTime(j.createdAt)}
            </caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Debit</th>
                <th scope="col">Credit</th>
                <th scope="col">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {j.lines.map((l) => (
                <tr>
                  <th scope="row">{l.account}</th>
                  <td class="num">{l.debit === '0.00' ? '' : inr(l.debit)}</td>
                  <td class="num">{l.credit === '0.00' ? '' : inr(l.credit)}</td>
                  <td class="num">{inr(l.balanceAfter)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))
      )}
      <h2>Webhooks received</h2>
      {d.webhooks.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {d.webhooks.map((w) => (
            <li>
              <time dateTime={w.receivedAt}>{istTime(w.receivedAt)}</time> {w.provider} <code>{w.eventType}</code>{' '}
              {w.signalledAt
                ? `delivered to the workflow ${w.signalledAt}`
                : w.undeliveredReason
                  ? `undelivered: ${w.undeliveredReason}`
                  : 'not delivered yet'}
            </li>
          ))}
        </ul>
      )}
      {resolving && (
        <ResolveDialog
          payment={d}
          onDone={(text) => {
            setResolving(false);
            if (text) setMessage(text);
            p.reload();
          }}
        />
      )}
    </section>
  );
}
