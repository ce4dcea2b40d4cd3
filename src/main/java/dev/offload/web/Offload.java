package dev.offload.web;

import dev.offload.engine.HandlerJars;
import dev.offload.engine.JsonCodec;
import dev.offload.engine.TaskEngine;
import dev.offload.store.TaskStore;
import dev.offload.web.metrics.OffloadMetrics;
import dev.offload.webhooks.WebhookDeliverer;
import jakarta.servlet.ServletContext;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the servlets share, built and owned by {@link OffloadListener} and kept as one context
 * attribute. Part of the composition root: the store is here to be closed, not to be used by
 * the servlets (they go through the engine).
 *
 * @param heartbeats schedules SSE heartbeats and stream ends
 * @param tokens the bearer tokens, or null when no tokens file is set
 * @param waits the open waits and streams, counted against their limits
 * @param metrics what {@code /metrics} serves; closed after the store
 * @param handlerJars the handler jars of {@code offload.handlers.dir} (closed last), or null
 * @param webhooks delivers the callbacks of tasks that end, stopped after the engine; null when
 *     {@code offload.webhook.enabled} is false
 */
record Offload(
    OffloadConfig config,
    TaskStore store,
    TaskEngine engine,
    JsonCodec json,
    TaskJson views,
    ScheduledExecutorService heartbeats,
    Cors cors,
    Tokens tokens,
    Waits waits,
    OffloadMetrics metrics,
    HandlerJars handlerJars,
    WebhookDeliverer webhooks) {

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
