import { ApiRequestError } from '../api-client.js';

export function ErrorBox({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : 'something went wrong';
  const hint = error instanceof ApiRequestError ? error.hint : undefined;
  return (
    <div class="error" role="alert">
      <strong>{message}</strong>
      {hint && <div class="hint">{hint}</div>}
    </div>
  );
}
