/** What every page uses: reading from the API, and showing loading, errors and outcomes. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';

/** GET a path and re-read it when the path changes or `reload` is called. */
export function useApi<T>(path: string | null) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    api<T>('GET', path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err: unknown) =>
        live &&
        setState({
          data: null,
          error: err instanceof ApiError ? err.message : 'The server could not be reached.',
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/**
 * A filter form: its fields show what the admin is editing, the page reads what was last applied
 * with the form's button (and when). Every field is controlled by the draft, so a re-render while
 * a list loads cannot undo a choice made but not yet applied.
 */
export function useFilterForm<T extends Record<string, string>>(initial: T) {
  const [applied, setApplied] = useState({ values: initial, at: Date.now() });
  const [draft, setDraft] = useState(initial);
  const field = (name: keyof T & string) => ({
    name,
    value: draft[name],
    onInput: (e: Event) => {
      const value = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
      setDraft((d) => ({ ...d, [name]: value }));
    },
  });
  const onSubmit = (e: Event) => {
    e.preventDefault();
    setApplied({ values: draft, at: Date.now() });
  };
  return { applied: applied.values, appliedAt: applied.at, field, onSubmit };
}

export function Loading(props: { error: string | null; loading: boolean }) {
  if (props.error)
    return (
      <p role="alert" class="error">
        {props.error}
      </p>
    );
  return props.loading ? <p aria-busy="true">Loading…</p> : null;
}

export const errorText = (err: unknown) => (err instanceof ApiError ? err.message : 'The server could not be reached.');

/** The outcome of the last action; the live region is always there, so screen readers announce it. */
export function Notice(props: { message: string | null }) {
  return (
    <p role="status" class="notice" hidden={!props.message}>
      {props.message}
    </p>
  );
}
