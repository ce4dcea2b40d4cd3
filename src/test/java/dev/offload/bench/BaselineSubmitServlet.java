package dev.offload.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The baseline of benchmark 1: reads the whole body and answers 202 with a fixed small JSON body.
 * Deployed in the same web application as Offload, so it passes the same filters.
 */
public final class BaselineSubmitServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final byte[] BODY =
      "{\"id\":\"00000000-0000-4000-8000-000000000000\",\"status\":\"pending\"}"
          .getBytes(StandardCharsets.UTF_8);

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] buf = new byte[8192];
    try (InputStream in = req.getInputStream()) {
      while (in.read(buf) >= 0) {
        // The body is read and dropped: the baseline does the I/O, not the work.
      }
    }
    resp.setStatus(202);
    resp.setContentType("application/json");
    resp.setContentLength(BODY.length);
    resp.getOutputStream().write(BODY);
  }
}
