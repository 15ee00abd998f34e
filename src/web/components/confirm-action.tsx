import { useState } from 'preact/hooks';
import { ErrorBox } from './error-box.js';

interface Props {
  /** The button's word, e.g. "Approve". */
  label: string;
  /** What confirming does, in a sentence shown above the confirm button. */
  question: string;
  comment: 'none' | 'optional' | 'required';
  commentLabel?: string;
  danger?: boolean;
  onConfirm: (comment: string) => Promise<string | void>;
}

/**
 * A button that asks before it acts, inline (no browser dialog, which phones render badly), with a comment field
 * when the action records one (approve, reject, rollback reason). Shows the server's refusal if there is one.
 */
export function ConfirmAction({ label, question, comment, commentLabel, danger, onConfirm }: Props) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const name = label.toLowerCase().replace(/\W+/g, '-');

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const message = await onConfirm(text.trim());
      setOpen(false);
      setText('');
      setDone(message ?? null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!open)
    return (
      <span class="action">
        <button
          type="button"
          class={danger ? 'danger' : 'primary'}
          data-action={name}
          onClick={() => {
            setOpen(true);
            setDone(null);
          }}
        >
          {label}
        </button>
        {done && <span class="done">{done}</span>}
      </span>
    );
  return (
    <form class="confirm" onSubmit={(e) => void submit(e)} data-confirm={name}>
      <p>{question}</p>
      {comment !== 'none' && (
        <label>
          {commentLabel ?? 'Comment'}
          {comment === 'required' ? '' : ' (optional)'}
          <textarea
            value={text}
            required={comment === 'required'}
            rows={2}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
        </label>
      )}
      <div class="buttons">
        <button type="submit" class={danger ? 'danger' : 'primary'} disabled={busy}>
          {busy ? `${label}…` : `Confirm ${label.toLowerCase()}`}
        </button>
        <button type="button" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}
