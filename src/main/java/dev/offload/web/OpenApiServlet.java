package dev.offload.web;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * {@code GET /api/openapi.json}: the OpenAPI 3.1 document of the HTTP API, the static file
 * {@code WEB-INF/openapi.json}. Served by a servlet under {@code /api} (not as a static file) so
 * it gets the API's answers: {@code HEAD}, {@code OPTIONS}, 405, strict query, problems, {@code
 * Cache-Control}. Open to anyone, like health (see {@link AuthFilter}): it describes the API and
 * holds no data, and client generators and API browsers fetch it without credentials.
 *
 * <p>The one thing written into it is {@code servers}: this deployment's context path, so a
 * client generated from the document of {@code /offload/api/openapi.json} calls {@code
 * /offload/api/...}.
 */
public final class OpenApiServlet extends ApiServlet {
  private static final long serialVersionUID = 1L;
  static final String DOCUMENT = "/WEB-INF/openapi.json";

  private transient String document;

  @Override
  public void init() {
    super.init();
    JsonObject doc;
    try (InputStream in = getServletContext().getResourceAsStream(DOCUMENT)) {
      if (in == null) {
        throw new IllegalStateException(DOCUMENT + " is missing from the web application");
      }
      try (JsonReader reader = Json.createReader(in)) {
        doc = reader.readObject();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + DOCUMENT + " failed", e);
    }
    String contextPath = getServletContext().getContextPath();
    JsonObject server = Json.createObjectBuilder()
        .add("url", contextPath.isEmpty() ? "/" : contextPath)
        .add("description", "This server")
        .build();
    document = offload.json().toJson(Json.createObjectBuilder(doc)
        .add("servers", Json.createArrayBuilder().add(server))
        .build());
  }

  @Override
  protected String allow(HttpServletRequest req) {
    return "GET, HEAD";
  }

  @Override
  protected void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    TasksServlet.strictQuery(req, Set.of());
    write(req, resp, 200, JSON, document);
  }
}
