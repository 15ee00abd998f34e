import { useEffect, useMemo, useState } from 'preact/hooks';
import type { SessionView } from '../server/api-types.js';
import { formatGrant } from '../server/auth/roles.js';
import { ApiClient, ApiRequestError } from './api-client.js';
import { AppContext, type AppContextValue } from './app-context.js';
import { ErrorBox } from './components/error-box.js';
import { Logo } from './components/logo.js';
import { LiveEvents, type LiveState } from './live-events.js';
import { CanaryPanel } from './pages/canary-panel.js';
import { DeploymentPage } from './pages/deployment-page.js';
import { DeploymentsPage } from './pages/deployments-page.js';
import { EnvironmentsPage } from './pages/environments-page.js';
import { LedgerPage } from './pages/ledger-page.js';
import { LoginPage } from './pages/login-page.js';
import { ReleasesPage } from './pages/releases-page.js';
import { HOME, hrefOf, parseRoute, type Route } from './route.js';

type SessionState = { kind: 'checking' } | { kind: 'anonymous' } | { kind: 'in'; session: SessionView };

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const [error, setError] = useState<unknown>(null);
  const live = useMemo(() => new LiveEvents(), []);
  const api = useMemo(
    () =>
      new ApiClient(() => {
        live.stop();
        setState({ kind: 'anonymous' });
      }),
    [live],
  );

  // Steps and deployment changes sent while the stream was down are not replayed (only ledger events are):
  // after a reconnect the page is built again from fresh answers (as it is on every change of address).
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let previous = live.state;
    return live.onState((state) => {
      if (state === 'live' && previous === 'reconnecting') setGeneration((g) => g + 1);
      previous = state;
    });
  }, [live]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const enter = (session: SessionView) => {
    api.useSession(session);
    live.start();
    setState({ kind: 'in', session });
    if (parseRoute(location.hash).kind === 'login') location.hash = hrefOf(HOME);
  };

  useEffect(() => {
    // A reload keeps the session (its cookie); the CSRF token comes back with it.
    api.get<SessionView>('/session').then(enter, (err: unknown) => {
      if (!(err instanceof ApiRequestError && err.status === 401)) setError(err);
      setState({ kind: 'anonymous' });
    });
    return () => live.stop();
  }, []);

  if (state.kind === 'checking') return <p class="muted center">Loading…</p>;
  if (state.kind === 'anonymous')
    return (
      <>
        <ErrorBox error={error} />
        <LoginPage api={api} onLogin={enter} />
      </>
    );

  const context: AppContextValue = {
    api,
    live,
    session: state.session,
    navigate: (r) => {
      location.hash = hrefOf(r);
    },
  };
  const logout = async () => {
    try {
      await api.post('/logout');
    } catch {
      // Unreachable server: the page forgets the session anyway; the cookie's session expires on its own.
    } finally {
      live.stop();
      api.useSession(null);
      setState({ kind: 'anonymous' });
    }
  };
  return (
    <AppContext.Provider value={context}>
      <Header session={state.session} route={route} live={live} onLogout={() => void logout()} />
      <main class="page">
        <Page key={`${generation} ${hrefOf(route)}`} route={route} />
      </main>
    </AppContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.kind) {
    case 'login':
    case 'environments':
      return <EnvironmentsPage />;
    case 'deployments':
      return <DeploymentsPage environment={route.environment} />;
    case 'deployment':
      return <DeploymentPage id={route.id} />;
    case 'canary':
      return (
        <section>
          <h2>Canary</h2>
          <CanaryPanel environment={route.environment} />
        </section>
      );
    case 'releases':
      return <ReleasesPage q={route.q} />;
    case 'ledger':
      return <LedgerPage q={route.q} environment={route.environment} kind={route.kind_} />;
    case 'not-found':
      return (
        <section>
          <h2>Not found</h2>
          <p>
            Nothing at <code>#{route.hash}</code>. <a href={hrefOf(HOME)}>Environments</a>
          </p>
        </section>
      );
  }
}

const NAV: { label: string; route: Route; active: Route['kind'][] }[] = [
  { label: 'Environments', route: { kind: 'environments' }, active: ['environments', 'canary'] },
  {
    label: 'Deployments',
    route: { kind: 'deployments', environment: null },
    active: ['deployments', 'deployment'],
  },
  { label: 'Releases', route: { kind: 'releases', q: '' }, active: ['releases'] },
  { label: 'Ledger', route: { kind: 'ledger', q: '', environment: null, kind_: null }, active: ['ledger'] },
];

function Header(props: { session: SessionView; route: Route; live: LiveEvents; onLogout: () => void }) {
  const [liveState, setLiveState] = useState<LiveState>(props.live.state);
  useEffect(() => {
    // The stream may have opened between this render and the subscription: take the state as it is now.
    setLiveState(props.live.state);
    return props.live.onState(setLiveState);
  }, [props.live]);
  return (
    <header class="top">
      <a class="brand" href={hrefOf(HOME)}>
        <Logo /> Slipway
      </a>
      <nav>
        {NAV.map((n) => (
          <a
            key={n.label}
            href={hrefOf(n.route)}
            aria-current={n.active.includes(props.route.kind) ? 'page' : undefined}
          >
            {n.label}
          </a>
        ))}
      </nav>
      <div class="who">
        <span class={`live live-${liveState}`} title={`live updates: ${liveState}`}>
          {liveState === 'live' ? '● live' : '○ ' + liveState}
        </span>
        <span data-field="user" title={props.session.grants.map(formatGrant).join(' ')}>
          {props.session.name}
        </span>
        <button type="button" onClick={props.onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}
