package dev.offload.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which other origins' browser code may call the API ({@code offload.cors.origins}; none by
 * default), and the same-origin rule for state-changing requests of callers a browser
 * authenticates by itself.
 *
 * <p>Credentials are allowed for the listed origins, so {@code Access-Control-Allow-Origin}
 * always names the one origin that asked (never {@code *}) with {@code Vary: Origin}.
 */
final class Cors {
  static final String METHODS = "GET, HEAD, POST, DELETE";
  static final String HEADERS =
      "Authorization, Content-Type, Idempotency-Key, Prefer, Last-Event-ID";
  static final String EXPOSED = "Location, Retry-After, Preference-Applied";
  private static final Set<String> SAFE_SITES = Set.of("same-origin", "none");

  private final Set<String> origins;

  Cors(List<String> origins) {
    this.origins = Set.copyOf(origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList());
  }

  boolean allows(String origin) {
    return origin != null && origins.contains(origin.toLowerCase(Locale.ROOT));
  }

  static boolean isPreflight(HttpServletRequest req) {
    return "OPTIONS".equals(req.getMethod()) && req.getHeader("Origin") != null
        && req.getHeader("Access-Control-Request-Method") != null;
  }

  /** Answers a preflight: 204 with the rules for a listed origin, else a 403 problem. */
  void preflight(HttpServletRequest req, HttpServletResponse resp) {
    String origin = req.getHeader("Origin");
    resp.addHeader("Vary", "Origin");
    if (!allows(origin)) {
      throw Problem.of(403, "Forbidden", "the origin " + origin + " may not call this API "
          + "from a browser (offload.cors.origins)").exception();
    }
    resp.setHeader("Access-Control-Allow-Origin", origin);
    resp.setHeader("Access-Control-Allow-Credentials", "true");
    resp.setHeader("Access-Control-Allow-Methods", METHODS);
    resp.setHeader("Access-Control-Allow-Headers", HEADERS);
    resp.setHeader("Access-Control-Max-Age", "600");
    resp.setStatus(204);
  }

  /** The headers of an actual cross-origin request from a listed origin. */
  void decorate(HttpServletRequest req, HttpServletResponse resp) {
    String origin = req.getHeader("Origin");
    if (origin == null) {
      return;
    }
    resp.addHeader("Vary", "Origin");
    if (allows(origin)) {
      resp.setHeader("Access-Control-Allow-Origin", origin);
      resp.setHeader("Access-Control-Allow-Credentials", "true");
      resp.setHeader("Access-Control-Expose-Headers", EXPOSED);
    }
  }

  /**
   * Whether a state-changing request comes from a page of another origin that is not listed:
   * {@code Sec-Fetch-Site} when the browser sends it, else {@code Origin} against the host and
   * port the request was sent to (as the container sees them, so its forwarded-header handling
   * behind a proxy counts). Requests that carry neither (curl, programs) pass.
   */
  boolean isForeign(HttpServletRequest req) {
    String origin = req.getHeader("Origin");
    if (allows(origin)) {
      return false;
    }
    String site = req.getHeader("Sec-Fetch-Site");
    if (site != null) {
      return !SAFE_SITES.contains(site.toLowerCase(Locale.ROOT));
    }
    if (origin == null) {
      return false;
    }
    String server = req.getServerName();
    String host = server.contains(":") && !server.startsWith("[") ? "[" + server + "]" : server;
    return !authority(origin).equalsIgnoreCase(host + ":" + req.getServerPort());
  }

  /** {@code host:port} of an origin, the port made explicit; "" for "null" or garbage. */
  private static String authority(String origin) {
    try {
      URI u = URI.create(origin);
      if (u.getHost() == null || u.getScheme() == null) {
        return "";
      }
      int port = u.getPort() != -1 ? u.getPort()
          : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
      return u.getHost() + ":" + port;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

}
