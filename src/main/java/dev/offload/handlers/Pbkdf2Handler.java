package dev.offload.handlers;

import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * PBKDF2-HMAC-SHA256 (RFC 8018) of a password: real CPU work. Computed here rather than through
 * {@code SecretKeyFactory} so the loop can report progress and stop when interrupted; a unit
 * test checks it against the JDK's implementation.
 */
public final class Pbkdf2Handler implements TaskHandler<Pbkdf2Handler.Input, String> {

  public static final int MAX_ITERATIONS = 10_000_000;
  private static final String DEFAULT_SALT = "offload";
  private static final int CHECK_EVERY = 10_000;

  /** {@code salt} is optional (default {@code offload}). */
  public record Input(String password, Integer iterations, String salt) {}

  @Override
  public String type() {
    return "pbkdf2";
  }

  @Override
  public String description() {
    return "PBKDF2-HMAC-SHA256 of 'password' with 'iterations' rounds (at most "
        + MAX_ITERATIONS + "); returns the 32-byte key as hex.";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input example() {
    return new Input("correct horse battery staple", 600_000, "offload");
  }

  @Override
  public void validate(Input in) throws InvalidInputException {
    if (in.password() == null) {
      throw new InvalidInputException("'password' is required");
    }
    if (in.password().length() > 1024) {
      throw new InvalidInputException("'password' must be at most 1024 characters");
    }
    if (in.iterations() == null || in.iterations() < 1 || in.iterations() > MAX_ITERATIONS) {
      throw new InvalidInputException("'iterations' must be between 1 and " + MAX_ITERATIONS);
    }
    if (in.salt() != null && in.salt().length() > 1024) {
      throw new InvalidInputException("'salt' must be at most 1024 characters");
    }
  }

  @Override
  public String run(Input in, TaskContext context) throws Exception {
    return HexFormat.of().formatHex(derive(in, context));
  }

  static byte[] derive(Input in, TaskContext context)
      throws GeneralSecurityException, InterruptedException {
    byte[] password = in.password().getBytes(StandardCharsets.UTF_8);
    byte[] salt = (in.salt() == null ? DEFAULT_SALT : in.salt()).getBytes(StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    // An empty password is legal in PBKDF2 but not as a SecretKeySpec key; HMAC pads keys with
    // zeros, so a single zero byte is the same key.
    mac.init(new SecretKeySpec(password.length == 0 ? new byte[1] : password, "HmacSHA256"));
    int iterations = in.iterations();
    // One block: the derived key length equals the HMAC output length (32 bytes).
    mac.update(salt);
    mac.update(new byte[] {0, 0, 0, 1});
    byte[] u = mac.doFinal();
    byte[] t = u.clone();
    for (int i = 1; i < iterations; i++) {
      u = mac.doFinal(u);
      for (int j = 0; j < t.length; j++) {
        t[j] ^= u[j];
      }
      if (i % CHECK_EVERY == 0) {
        context.checkInterrupted();
        context.progress((int) ((long) i * 100 / iterations), i + " of " + iterations);
      }
    }
    context.progress(100, iterations + " of " + iterations);
    return t;
  }
}
