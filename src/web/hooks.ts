import { useEffect, useRef, useState } from 'preact/hooks';
import type { ServerEvent } from '../server/api-types.js';
import { useApp } from './app-context.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  /** Loads again, keeping the data shown until the new answer arrives (no flicker on live refreshes). */
  reload: () => void;
}

/** Loads data when `deps` change; an answer to an older request than the latest is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: string | null; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const request = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => request === latest.current && setState({ data, error: null, loading: false }),
      (err: unknown) =>
        request === latest.current &&
        setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err), loading: false })),
    );
    // The caller names what the load depends on (deps), as with useEffect.
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}

/** Calls `listener` for every live event while the component is shown. */
export function useLiveEvents(listener: (event: ServerEvent) => void): void {
  const { live } = useApp();
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => live.subscribe((e) => current.current(e)), [live]);
}

/**
 * A function that runs `action` once after events stop arriving for `delayMs`: a burst of step events reloads
 * a page once, not once per event.
 */
export function useDebounced(action: () => void, delayMs: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = useRef(action);
  current.current = action;
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => current.current(), delayMs);
  };
}

/** The current time, refreshed every `everyMs`, for running durations. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}
