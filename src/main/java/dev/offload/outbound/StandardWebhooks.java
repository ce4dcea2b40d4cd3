package dev.offload.outbound;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signing as the Standard Webhooks specification (https://www.standardwebhooks.com/) describes
 * it: the headers {@code webhook-id} (one id per message, the same on every retry of it), {@code
 * webhook-timestamp} (unix seconds of this attempt) and {@code webhook-signature}, which is
 * {@code v1,} and the base64 of HMAC-SHA256 over {@code id + "." + timestamp + "." + body}, keyed
 * with the bytes of the secret's base64 part after {@code whsec_}.
 */
public final class StandardWebhooks {
  public static final String ID = "webhook-id";
  public static final String TIMESTAMP = "webhook-timestamp";
  public static final String SIGNATURE = "webhook-signature";
  public static final String SECRET_PREFIX = "whsec_";
  /** The specification's bounds for a key: 24 to 64 bytes (192 to 512 bits). */
  public static final int MIN_KEY_BYTES = 24;
  public static final int MAX_KEY_BYTES = 64;

  private StandardWebhooks() {}

  /**
   * The key of a secret {@code whsec_<base64>}.
   *
   * @throws IllegalArgumentException saying what is wrong with its form, never quoting it
   */
  public static byte[] key(String secret) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
      throw new IllegalArgumentException("must start with " + SECRET_PREFIX);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be " + SECRET_PREFIX
          + " followed by standard base64");
    }
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("must hold a key of " + MIN_KEY_BYTES + " to "
          + MAX_KEY_BYTES + " bytes, got " + key.length);
    }
    return key;
  }

  /** The value of {@code webhook-signature} for one attempt of one message. */
  public static String signature(byte[] key, String id, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }
}
