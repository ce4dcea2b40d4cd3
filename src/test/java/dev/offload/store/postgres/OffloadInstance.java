package dev.offload.store.postgres;

import dev.offload.testing.EmbeddedOffload;
import java.io.IOException;
import java.io.InputStream;

/**
 * One Offload server in a JVM of its own, for the tests that kill or restart an instance: the
 * webapp in embedded Jetty on a free port, settings from system properties (which win over
 * web.xml) or {@code name=value} arguments (context-params, which web.xml may override). Prints
 * {@code offload-instance-port=N} once it serves; stops gracefully when its standard input
 * closes.
 */
public final class OffloadInstance {
  static final String PORT_LINE = "offload-instance-port=";

  private OffloadInstance() {}

  public static void main(String[] args) throws IOException {
    EmbeddedOffload.Builder b = EmbeddedOffload.builder();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      b.param(arg.substring(0, eq), arg.substring(eq + 1));
    }
    try (EmbeddedOffload app = b.start()) {
      System.out.println(PORT_LINE + app.port());
      System.out.flush();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // The parent keeps stdin open for as long as this instance should live.
      }
    }
    System.exit(0);
  }
}
