package dev.offload.web;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An RFC 9457 problem detail. Thrown as a {@link ProblemException} anywhere in the servlet layer
 * and written once, by {@link ApiServlet}.
 */
public record Problem(int status, String title, String detail, Map<String, Object> extensions) {

  public static final String MEDIA_TYPE = "application/problem+json";

  public Problem {
    extensions = extensions == null ? Map.of() : Map.copyOf(extensions);
  }

  public static Problem of(int status, String title, String detail) {
    return new Problem(status, title, detail, Map.of());
  }

  public Problem with(String key, Object value) {
    Map<String, Object> ext = new LinkedHashMap<>(extensions);
    ext.put(key, value);
    return new Problem(status, title, detail, ext);
  }

  public Problem withKnownTypes(List<String> types) {
    return types.isEmpty() ? this : with("knownTypes", types);
  }

  /** The JSON body: type, title, status, detail, then any extension members. */
  Map<String, Object> body() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    body.putAll(extensions);
    return body;
  }

  public ProblemException exception() {
    return new ProblemException(this);
  }

  static Problem badRequest(String detail) {
    return of(400, "Bad Request", detail);
  }

  static Problem notFound(String detail) {
    return of(404, "Not Found", detail);
  }

  static Problem unprocessable(String detail) {
    return of(422, "Unprocessable Content", detail);
  }

  static Problem unavailable(String detail) {
    return of(503, "Service Unavailable", detail);
  }
}
