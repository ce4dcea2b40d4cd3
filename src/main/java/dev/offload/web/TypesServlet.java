package dev.offload.web;

import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/** {@code GET /api/types}: the registered task types with an example input each. */
public final class TypesServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;

  @JsonbPropertyOrder({"type", "description", "example"})
  public record TypeView(String type, String description, JsonValue example) {}

  private transient List<TypeView> types;

  @Override
  public void init() {
    super.init();
    types = offload.engine().handlers().all().stream()
        .map(h -> new TypeView(h.type(), h.description(),
            offload.json().parse(offload.json().toJson(h.example()))))
        .toList();
  }

  @Override
  protected String allow(HttpServletRequest req) {
    return "GET, HEAD";
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    TasksServlet.strictQuery(req, java.util.Set.of());
    writeJson(req, resp, 200, types);
  }
}
