package dev.offload.task;

/**
 * Where Offload announces that a task ended: a URL it POSTs the task's final view to, signed as
 * Standard Webhooks describes when a {@code secret} ({@code whsec_} and base64) is given. Fixed at
 * submission, like the rest of the {@link Task.Spec}.
 *
 * <p>The secret is the key the receiver checks signatures with: it is never shown (views, lists,
 * events) and never logged, which is why {@link #toString()} leaves it out.
 *
 * @param url an http or https URL
 * @param secret {@code whsec_<base64 key>}, or null for unsigned deliveries
 */
public record Callback(String url, String secret) {

  public Callback {
    if (url == null) {
      throw new IllegalArgumentException("a callback needs a url");
    }
  }

  public boolean signed() {
    return secret != null;
  }

  /** Without the secret (and without the URL, whose path or query may carry a token). */
  @Override
  public String toString() {
    return "Callback[" + (secret == null ? "unsigned" : "signed") + "]";
  }
}
