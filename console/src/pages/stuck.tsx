/**
 * Payments that need an operator: NEEDS_ATTENTION, or open for longer than they should be. Every
 * action goes through the admin API, so it is audited, and a decision that needs a second admin
 * is proposed rather than carried out.
 */
import { useState } from 'preact/hooks';
import { api, RECHECK_SAID, recheckPayment, RecheckOutcome } from '../api';
import { ageSince, inr } from '../format';
import { errorText, Loading, Notice, useApi, useFilterForm } from '../ui';

interface StuckPayment {
  paymentId: string;
  kind: string;
  status: string;
  amount: string;
  held: string;
  updatedAt: string;
  createdAt: string;
  attention: string | null;
  lastNote: string | null;
  failureReason?: string;
  providerName: string;
  temporalUrl: string;
}

/** The server's page size for this list; a full page says there may be more. */
const LIMIT = 200;
const KINDS = ['topup', 'transfer', 'payout', 'recharge', 'bill', 'refund'];

export function Stuck() {
  const form = useFilterForm({ status: 'NEEDS_ATTENTION', kind: '', olderThanMinutes: '0' });
  const filter = form.applied;
  // From when the filter was applied, so the path (and the read) stays the same between renders.
  const minutes = Number(filter.olderThanMinutes) || 0;
  const olderThan = minutes
    ? `&olderThan=${encodeURIComponent(new Date(form.appliedAt - minutes * 60_000).toISOString())}`
    : '';
  const list = useApi<{ items: StuckPayment[] }>(
    `/v1/admin/payments?limit=${LIMIT}${filter.status ? `&status=${filter.status}` : ''}${filter.kind ? `&kind=${filter.kind}` : ''}${olderThan}`,
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [resolving, setResolving] = useState<StuckPayment | null>(null);
  const items = list.data?.items ?? [];

  const recheck = async (ids: string[]) => {
    setProgress({ done: 0, total: ids.length });
    const failed: string[] = [];
    const outcomes = new Map<RecheckOutcome, string[]>();
    for (const [i, id] of ids.entries()) {
      try {
        const o = await recheckPayment(id);
        outcomes.set(o, [...(outcomes.get(o) ?? []), id]);
      } catch (err) {
        failed.push(`${id}: ${errorText(err)}`);
      }
      setProgress({ done: i + 1, total: ids.length });
    }
    setProgress(null);
    setSelected(new Set());
    const done = [...outcomes].map(([o, which]) => `${which.length} — ${RECHECK_SAID[o]}`);
    setMessage(
      [
        `Recheck asked for ${ids.length - failed.length} of ${ids.length} payment${ids.length === 1 ? '' : 's'}`,
        ...done,
        ...(failed.length ? [`refused: ${failed.join('; ')}`] : []),
      ].join('. '),
    );
    list.reload();
  };
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const providers = [...new Set(items.map((p) => p.providerName))];

  return (
    <section aria-labelledby="stuck-title">
      <h1 id="stuck-title">Stuck payments</h1>
      <form class="range" aria-label="Which payments" onSubmit={form.onSubmit}>
        <label>
          Status
          <select {...form.field('status')}>
            <option value="">everything ops should see (orphans, NEEDS_ATTENTION, finance, open)</option>
            <option value="NEEDS_ATTENTION">NEEDS_ATTENTION</option>
            <option value="PROCESSING">PROCESSING</option>
            <option value="AWAITING_PAYMENT">AWAITING_PAYMENT</option>
            <option value="CREATED">CREATED</option>
          </select>
        </label>
        <label>
          Kind
          <select {...form.field('kind')}>
            <option value="">all</option>
            {KINDS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Untouched for at least (minutes)
          <input type="number" min="0" {...form.field('olderThanMinutes')} />
        </label>
        <button type="submit">Show</button>
      </form>
      <div class="bulk" role="group" aria-label="Bulk actions">
        {providers.map((p) => (
          <button
            type="button"
            class="secondary"
            onClick={() => setSelected(new Set(items.filter((x) => x.providerName === p).map((x) => x.paymentId)))}
          >
            Select all of {p}
          </button>
        ))}
        <button
          type="button"
          disabled={selected.size === 0 || progress !== null}
          onClick={() => void recheck([...selected])}
        >
          Recheck selected ({selected.size})
        </button>
        {progress && (
          <progress max={progress.total} value={progress.done} aria-label="Rechecking">
            {progress.done} of {progress.total}
          </progress>
        )}
      </div>
      <Notice message={message} />
      <Loading error={list.error} loading={list.loading && !list.data} />
      {items.length === LIMIT && (
        <p class="notice">
          Showing the first {LIMIT}, oldest first; narrow by kind or age to see the rest (bulk selection covers only
          these).
        </p>
      )}
      {list.data &&
        (items.length === 0 ? (
          <p>No payment matches.</p>
        ) : (
          <table aria-label="Stuck payments">
            <thead>
              <tr>
                <th scope="col">
                  <span class="visually-hidden">Select</span>
                </th>
                <th scope="col">Payment</th>
                <th scope="col">Kind</th>
                <th scope="col">Amount</th>
                <th scope="col">Held</th>
                <th scope="col">Reason</th>
                <th scope="col">Age</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr data-payment={p.paymentId}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${p.paymentId}`}
                      checked={selected.has(p.paymentId)}
                      onChange={() => toggle(p.paymentId)}
                    />
                  </td>
                  <th scope="row">
                    <a href={`#/payments/${encodeURIComponent(p.paymentId)}`}>{p.paymentId}</a>
                  </th>
                  <td>{p.kind}</td>
                  <td class="num">{inr(p.amount)}</td>
                  <td class="num">{inr(p.held)}</td>
                  <td>{p.attention ?? p.failureReason ?? p.lastNote ?? '—'}</td>
                  <td>{ageSince(p.createdAt)}</td>
                  <td class="actions">
                    <button type="button" class="secondary" onClick={() => void recheck([p.paymentId])}>
                      Recheck
                    </button>
                    <button type="button" class="secondary" onClick={() => setResolving(p)}>
                      Resolve…
                    </button>
                    <a href={p.temporalUrl} target="_blank" rel="noreferrer">
                      Temporal
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {resolving && (
        <ResolveDialog
          payment={resolving}
          onDone={(text) => {
            setResolving(null);
            if (text) setMessage(text);
            list.reload();
          }}
        />
      )}
    </section>
  );
}

/** The operator's decision, with a reason the audit log keeps. */
export function ResolveDialog(props: {
  payment: { paymentId: string; kind: string; amount: string };
  onDone(text: string | null): void;
}) {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    try {
      // 200: the payment, settled; 202: a proposal a second admin must approve.
      const res = await api<{ status: string; approvalId?: string }>(
        'POST',
        `/v1/admin/payments/${encodeURIComponent(props.payment.paymentId)}/resolve`,
        { outcome: f.get('outcome'), reason: f.get('reason') },
      );
      props.onDone(
        res.approvalId
          ? `${props.payment.paymentId}: proposed (approval ${res.approvalId}); nothing happens until a second admin approves it.`
          : `${props.payment.paymentId} resolved: ${res.status}`,
      );
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div class="dialog-backdrop">
      <div role="dialog" aria-modal="true" aria-labelledby="resolve-title">
        <form class="dialog" onSubmit={(e) => void submit(e)}>
          <h2 id="resolve-title">
            Resolve {props.payment.paymentId} ({props.payment.kind}, {inr(props.payment.amount)})
          </h2>
          <fieldset>
            <legend>What did the provider do?</legend>
            <label>
              <input type="radio" name="outcome" value="succeeded" required /> It succeeded: capture the money
            </label>
            <label>
              <input type="radio" name="outcome" value="failed" /> It failed: release the money to the wallet
            </label>
          </fieldset>
          <label>
            Reason (kept in the audit log)
            <textarea name="reason" minLength={3} maxLength={500} required />
          </label>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <div class="actions">
            <button type="submit">Resolve</button>
            <button type="button" class="secondary" onClick={() => props.onDone(null)}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
