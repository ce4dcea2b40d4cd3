package dev.offload.engine;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Calls {@link TaskEvents} so that a listener that throws never breaks the engine. */
final class Events {
  private static final Logger LOG = Logger.getLogger(Events.class.getName());

  private Events() {}

  static void tell(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a task events listener failed; the event is dropped", e);
    }
  }
}
