package dev.offload.store;

import java.util.UUID;

/**
 * What a shared store tells the engine of changes made elsewhere (another instance, through
 * PostgreSQL {@code LISTEN/NOTIFY}). Called on the store's own thread; must not block.
 */
public interface StoreEvents {

  /** A task changed: re-read it, tell its watchers, stop a local attempt that was canceled. */
  void taskChanged(UUID id);

  /** New work may be due: idle workers should look now. */
  void workAvailable();

  /**
   * Changes may have been missed (the notification channel was down): re-read every task that
   * is watched or run here.
   */
  void resync();
}
