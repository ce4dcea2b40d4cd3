package dev.offload.web;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /api/me}: who the caller is to Offload and what they may do, so the status page
 * shows the signed-in owner and only the controls that owner may use.
 */
public final class MeServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @JsonbPropertyOrder({"owner", "roles", "auth", "canSubmit", "canCancel", "seesEveryone"})
  public record MeView(String owner, List<String> roles, String auth, boolean canSubmit,
      boolean canCancel, boolean seesEveryone) {}

  @Override
  protected String allow(HttpServletRequest req) {
    return "GET, HEAD";
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    TasksServlet.strictQuery(req, java.util.Set.of());
    Caller c = caller(req);
    writeJson(req, resp, 200, new MeView(c.owner(),
        c.roles().stream().sorted().map(Role::roleName).toList(),
        c.via().name().toLowerCase(java.util.Locale.ROOT), c.canSubmit(), c.canCancelOwn(),
        c.seesEveryone()));
  }
}
