package dev.offload.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Carries a {@link Problem} (and the headers that go with it) from wherever it is found to the
 * one place that writes it.
 */
public class ProblemException extends RuntimeException {
  private final Problem problem;
  private final Map<String, String> headers;

  public ProblemException(Problem problem) {
    this(problem, Map.of());
  }

  private ProblemException(Problem problem, Map<String, String> headers) {
    super(problem.detail(), null, false, false);
    this.problem = problem;
    this.headers = headers;
  }

  /** The same problem with one more response header. */
  public ProblemException header(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new ProblemException(problem, Map.copyOf(h));
  }

  public ProblemException retryAfter(long seconds) {
    return header("Retry-After", Long.toString(seconds));
  }

  public ProblemException allow(String methods) {
    return header("Allow", methods);
  }

  public Problem problem() {
    return problem;
  }

  /** Response headers to send with the problem. */
  public Map<String, String> headers() {
    return headers;
  }
}
