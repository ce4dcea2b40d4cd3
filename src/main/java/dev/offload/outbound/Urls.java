package dev.offload.outbound;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a URL Offload calls must look like, and how it is shown: the rules the {@code http} task
 * type's {@code url} and a task's {@code callback.url} share.
 */
public final class Urls {
  /** The longest URL Offload calls. */
  public static final int MAX_LENGTH = 8192;
  /** What replaces a secret value in anything shown. */
  public static final String MASK = "***";
  private static final Pattern SECRET_NAME =
      Pattern.compile("token|secret|key|password|passwd|auth|cookie|signature");

  private Urls() {}

  /** A URL that Offload does not call; the message names {@code what} and why. */
  public static final class BadUrl extends Exception {
    private static final long serialVersionUID = 1L;

    BadUrl(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * {@code url} as Offload calls it: http or https, a host in ASCII, no {@code user:password@},
   * at most {@link #MAX_LENGTH} characters; the fragment (never sent) is dropped and the scheme
   * lower-cased.
   *
   * @param what how a message names the URL ({@code 'url'}, {@code 'callback.url'})
   * @throws BadUrl naming {@code what} and the reason
   */
  public static URI check(String url, String what) throws BadUrl {
    if (url == null || url.isBlank()) {
      throw new BadUrl(what + " is required");
    }
    if (url.length() > MAX_LENGTH) {
      throw new BadUrl(what + " must be at most " + MAX_LENGTH + " characters");
    }
    int hash = url.indexOf('#');
    String s = hash < 0 ? url : url.substring(0, hash);
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      throw new BadUrl(what + " is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new BadUrl(what + " must be an http or https URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new BadUrl(what + " has no valid host name");
    }
    if (uri.getRawUserInfo() != null) {
      throw new BadUrl(what + " must not carry credentials; send them in an "
          + "Authorization header");
    }
    if (!uri.getHost().chars().allMatch(c -> c < 128)) {
      throw new BadUrl(what + " must have an ASCII host (use punycode)");
    }
    return scheme.equals(uri.getScheme()) ? uri
        : URI.create(scheme + s.substring(uri.getScheme().length()));
  }

  /**
   * Whether a header (or query parameter) name says its value is a credential: Authorization,
   * Proxy-Authorization, Cookie, X-Api-Key, or any name containing token, secret, key,
   * password, auth or signature, in any case.
   */
  public static boolean isSecretName(String name) {
    return name != null && SECRET_NAME.matcher(name.toLowerCase(Locale.ROOT)).find();
  }

  /** The URL with the values of secret-looking query parameters replaced by {@code ***}. */
  public static String maskQuery(String url) {
    int q = url.indexOf('?');
    if (q < 0) {
      return url;
    }
    int hash = url.indexOf('#', q);
    String query = hash < 0 ? url.substring(q + 1) : url.substring(q + 1, hash);
    List<String> parts = new ArrayList<>();
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String decoded;
      try {
        decoded = URLDecoder.decode(name, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        decoded = name;
      }
      parts.add(eq >= 0 && isSecretName(decoded) ? name + "=" + MASK : pair);
    }
    return url.substring(0, q + 1) + String.join("&", parts)
        + (hash < 0 ? "" : url.substring(hash));
  }
}
