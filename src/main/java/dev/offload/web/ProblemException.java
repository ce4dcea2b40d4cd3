package dev.offload.web;

/** Carries a {@link Problem} from wherever it is found to the one place that writes it. */
public class ProblemException extends RuntimeException {
  private final Problem problem;
  private final String retryAfter;
  private final String allow;

  public ProblemException(Problem problem) {
    this(problem, null, null);
  }

  private ProblemException(Problem problem, String retryAfter, String allow) {
    super(problem.detail(), null, false, false);
    this.problem = problem;
    this.retryAfter = retryAfter;
    this.allow = allow;
  }

  public ProblemException retryAfter(long seconds) {
    return new ProblemException(problem, Long.toString(seconds), allow);
  }

  public ProblemException allow(String methods) {
    return new ProblemException(problem, retryAfter, methods);
  }

  public Problem problem() {
    return problem;
  }

  public String retryAfterHeader() {
    return retryAfter;
  }

  public String allowHeader() {
    return allow;
  }
}
