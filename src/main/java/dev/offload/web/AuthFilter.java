package dev.offload.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Establishes the {@link Caller} of every API request (and of {@code /metrics}), or refuses it.
 *
 * <ul>
 *   <li>{@code offload.auth=container}: the container's principal and roles ({@code
 *       getUserPrincipal()}, {@code isUserInRole()}); without a principal the container's login
 *       is triggered ({@code request.authenticate(response)}), so an unauthenticated call gets
 *       the container's 401 challenge. {@code Authorization: Bearer} tokens are accepted too
 *       when a tokens file is set.
 *   <li>{@code token}: bearer tokens only (401 without one).
 *   <li>{@code none}: every caller is one owner with every role.
 * </ul>
 *
 * <p>Then: a caller with none of Offload's roles gets 403, except on the open resources:
 * health, which answers anyone (with the status only), and the OpenAPI document; a
 * state-changing request that a browser sent from a foreign page with credentials it added by
 * itself gets 403; CORS preflights are checked here, before any authentication (a preflight
 * carries no credentials), and one from a listed origin goes on to the resource, which answers
 * it as any OPTIONS.
 *
 * <p>Mapped with {@code page=true} to the status page itself, it only triggers the container's
 * login, so a browser asks for the credentials when the page is opened.
 */
public final class AuthFilter extends HttpFilter {
  private static final Logger LOG = Logger.getLogger(AuthFilter.class.getName());
  private static final long serialVersionUID = 1L;
  private static final Set<String> STATE_CHANGING = Set.of("POST", "PUT", "PATCH", "DELETE");

  private transient Offload offload;
  private transient boolean page;
  private final AtomicBoolean toldNoAuthenticator = new AtomicBoolean();

  @Override
  public void init() {
    offload = Offload.from(getServletContext());
    page = Boolean.parseBoolean(getInitParameter("page"));
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    if (page) {
      loginForPage(req, resp, chain);
      return;
    }
    try {
      Cors cors = offload.cors();
      if (Cors.isPreflight(req)) {
        cors.preflight(req, resp);
        // Then the resource answers it as it answers any OPTIONS (204 with its Allow): every
        // OPTIONS says what the resource allows, a preflight too.
        chain.doFilter(req, resp);
        return;
      }
      cors.decorate(req, resp);
      if ("OPTIONS".equals(req.getMethod())) {
        chain.doFilter(req, resp); // what a resource allows is no secret
        return;
      }
      Caller caller = identify(req, resp);
      if (caller == null) {
        return; // the container has challenged the client
      }
      if (!caller.isKnown() && !isOpen(req)) {
        throw Problem.of(403, "Forbidden", "'" + caller.owner() + "' has none of Offload's roles "
            + "(offload-user, offload-viewer, offload-admin, offload-metrics)").exception();
      }
      if (STATE_CHANGING.contains(req.getMethod()) && caller.via() != Caller.Via.TOKEN
          && cors.isForeign(req)) {
        throw Problem.of(403, "Forbidden", "a request that changes something must come from "
            + "this server's own pages (or an origin in offload.cors.origins)").exception();
      }
      req.setAttribute(Caller.ATTRIBUTE, caller);
    } catch (ProblemException p) {
      ApiServlet.writeProblem(req, resp, p);
      return;
    }
    chain.doFilter(req, resp);
  }

  /** The caller, or null when the container answered with its login challenge. */
  private Caller identify(HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    OffloadConfig.AuthMode mode = offload.config().security().auth();
    if (mode == OffloadConfig.AuthMode.NONE) {
      return Caller.everyone();
    }
    String authorization = req.getHeader("Authorization");
    String bearer = bearer(authorization);
    Tokens tokens = offload.tokens();
    if (bearer != null && tokens != null) {
      return tokens.identify(bearer).orElseThrow(() -> unauthorized(
          "the bearer token is not valid", "Bearer realm=\"offload\", error=\"invalid_token\""));
    }
    if (mode == OffloadConfig.AuthMode.TOKEN) {
      if (authorization == null && isOpen(req)) {
        return Caller.anonymous();
      }
      throw unauthorized("this API needs 'Authorization: Bearer <token>'",
          "Bearer realm=\"offload\"");
    }
    Principal principal = req.getUserPrincipal();
    if (principal == null) {
      if (authorization == null && isOpen(req)) {
        return Caller.anonymous();
      }
      if (!authenticate(req, resp)) {
        return null;
      }
      principal = req.getUserPrincipal();
      if (principal == null) {
        throw unauthorized("authentication is required", null);
      }
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (Role r : Role.values()) {
      if (req.isUserInRole(r.roleName())) {
        roles.add(r);
      }
    }
    return new Caller(principal.getName(), roles, Caller.Via.CONTAINER);
  }

  /** The container's login; false when it has answered the request (a 401 challenge). */
  private boolean authenticate(HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    try {
      if (req.authenticate(resp)) {
        return true;
      }
    } catch (ServletException e) {
      if (toldNoAuthenticator.compareAndSet(false, true)) {
        LOG.log(Level.SEVERE, "the container refused to authenticate a request: is a login "
            + "method (web.xml login-config) and a realm set up for Offload? Or set offload.auth "
            + "to token or none", e);
      }
      throw unauthorized("authentication is required and failed", null);
    }
    challenged(req, resp);
    return false;
  }

  private void loginForPage(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
      throws IOException, ServletException {
    if (offload.config().security().auth() == OffloadConfig.AuthMode.CONTAINER
        && req.getUserPrincipal() == null) {
      try {
        if (!req.authenticate(resp)) {
          challenged(req, resp); // the browser asks for credentials and comes back with them
          return;
        }
      } catch (ServletException e) {
        LOG.log(Level.FINE, "no container login for the status page", e);
      }
    }
    chain.doFilter(req, resp);
  }

  /**
   * After the container's login declined: some containers (Jetty 12.1.8) set the challenge
   * header and leave the rest of the response to the caller; it becomes a 401 problem with the
   * container's headers. A response the container completed is left alone.
   */
  private static void challenged(HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    if (!resp.isCommitted()) {
      ApiServlet.writeProblem(req, resp, Problem.of(401, "Unauthorized",
          "authentication is required").exception());
    }
  }

  private static ProblemException unauthorized(String detail, String challenge) {
    ProblemException p = Problem.of(401, "Unauthorized", detail).exception();
    return challenge == null ? p : p.header("WWW-Authenticate", challenge);
  }

  private static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 7
        || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  /**
   * Resources anyone may ask without credentials: health, for load balancers and probes, and the
   * OpenAPI document, which describes the API and holds no data. Credentials that are sent are
   * still checked.
   */
  private static boolean isOpen(HttpServletRequest req) {
    String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    return path.equals("/api/health") || path.startsWith("/api/health/")
        || path.equals("/api/openapi.json");
  }
}
