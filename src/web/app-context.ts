import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { SessionView } from '../server/api-types.js';
import type { ApiClient } from './api-client.js';
import type { LiveEvents } from './live-events.js';
import type { Route } from './route.js';

/** What every page gets: the API client, the live events, who is logged in, and a way to change page. */
export interface AppContextValue {
  api: ApiClient;
  live: LiveEvents;
  session: SessionView;
  navigate: (route: Route) => void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the logged-in app');
  return value;
}
