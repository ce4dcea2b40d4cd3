package dev.offload.web;

import dev.offload.engine.JsonCodec;
import dev.offload.engine.TaskEngine;
import dev.offload.store.TaskStore;
import jakarta.servlet.ServletContext;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the servlets share, built and owned by {@link OffloadListener} and kept as one context
 * attribute.
 *
 * @param heartbeats schedules SSE heartbeats
 */
record Offload(
    OffloadConfig config,
    TaskStore store,
    TaskEngine engine,
    JsonCodec json,
    TaskJson views,
    ScheduledExecutorService heartbeats) {

  static final String ATTRIBUTE = Offload.class.getName();

  static Offload from(ServletContext context) {
    Object o = context.getAttribute(ATTRIBUTE);
    if (!(o instanceof Offload offload)) {
      throw new IllegalStateException(
          "Offload is not initialised: is dev.offload.web.OffloadListener registered?");
    }
    return offload;
  }
}
