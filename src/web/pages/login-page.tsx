import { useState } from 'preact/hooks';
import type { SessionView } from '../../server/api-types.js';
import type { ApiClient } from '../api-client.js';
import { ErrorBox } from '../components/error-box.js';
import { Logo } from '../components/logo.js';

/** POST /api/v1/login: the server sets the session cookie and answers the session, CSRF token included. */
export function LoginPage({ api, onLogin }: { api: ApiClient; onLogin: (session: SessionView) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.post<SessionView>('/login', { user, password }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} aria-label="Log in">
        <h1>
          <Logo /> Slipway
        </h1>
        <label>
          User
          <input
            name="user"
            autocomplete="username"
            required
            value={user}
            onInput={(e) => setUser((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <ErrorBox error={error} />
      </form>
    </main>
  );
}
