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
