import type { Store } from '../store/index.js';
import type { Notifier } from './notifier.js';

/**
 * The store, with a ledger that also notifies: every appended event goes to the notifier after it is stored.
 * Wired once where the control plane is assembled, so every verb that writes the ledger notifies. (The store
 * is a plain object of functions, see createStore, so spreading it keeps every repository.)
 */
export function withNotifications(store: Store, notifier: Notifier): Store {
  return {
    ...store,
    async appendEvent(event) {
      const seq = await store.appendEvent(event);
      notifier.notify(event, seq);
      return seq;
    },
  };
}
