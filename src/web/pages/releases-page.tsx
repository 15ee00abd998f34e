import type { ReleaseView } from '../../server/api-types.js';
import { useApp } from '../app-context.js';
import { ErrorBox } from '../components/error-box.js';
import { SearchBox } from '../components/search-box.js';
import { formatTime } from '../format.js';
import { useDebounced, useLiveEvents, useLoad } from '../hooks.js';

/** Releases newest first; the server matches `q` against version and source. */
export function ReleasesPage({ q }: { q: string }) {
  const { api, navigate } = useApp();
  const releases = useLoad(() => api.get<ReleaseView[]>('/releases', { q, limit: 100 }), [q]);
  const refresh = useDebounced(releases.reload, 500);
  useLiveEvents((e) => {
    if (e.kind === 'ledger' && e.event.kind.startsWith('release.')) refresh();
  });
  return (
    <section>
      <h2>Releases</h2>
      <SearchBox
        value={q}
        placeholder="version or source"
        onSearch={(text) => navigate({ kind: 'releases', q: text })}
      />
      <ErrorBox error={releases.error} />
      {releases.data?.length === 0 && <p class="muted">No release matches.</p>}
      <div class="table-scroll">
        <table class="list">
          <thead>
            <tr>
              <th>version</th>
              <th>created</th>
              <th>by</th>
              <th>source</th>
              <th>good in</th>
              <th>size</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {releases.data?.map((r) => (
              <tr key={r.version} data-release={r.version}>
                <td>
                  <strong>{r.version}</strong>
                </td>
                <td class="nowrap">{formatTime(r.createdAtMs)}</td>
                <td>{r.createdBy}</td>
                <td class="wrap">{r.source ?? ''}</td>
                <td>{r.goodIn.join(', ')}</td>
                <td class="nowrap">{formatSize(r.sizeBytes)}</td>
                <td>
                  <code title={r.sha256}>{r.sha256.slice(0, 12)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
