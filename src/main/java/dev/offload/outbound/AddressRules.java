package dev.offload.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which destinations Offload may call (the {@code http} task type, and the callbacks of tasks
 * that name one): the defence against server-side request forgery. By default every address that leads back into the server's own network is
 * refused: unspecified, loopback, private (RFC 1918, fc00::/7, the deprecated fec0::/10),
 * link-local (169.254/16, fe80::/10) and the cloud metadata addresses in them, shared CGNAT
 * space (100.64/10), multicast, broadcast and the reserved 240/4, also when an IPv6 address
 * embeds one of those IPv4 addresses (IPv4-mapped and -compatible, NAT64 64:ff9b::/96, 6to4
 * 2002::/16). Entries of {@code offload.http.allow} (host names, IP literals, CIDR networks)
 * name destinations an operator trusts; they win over every rule.
 */
public final class AddressRules {

  /** Names that only ever mean a cloud's metadata service; refused before any lookup. */
  private static final Set<String> METADATA_NAMES = Set.of(
      "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal");

  private static final Pattern DOTTED_QUAD = Pattern.compile(
      "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  /**
   * Legacy numeric IPv4 forms (2130706433, 0x7f.1, 0177.0.0.1, 127.1): resolvers read them
   * differently (decimal, octal, hex), so they are refused rather than guessed at.
   */
  private static final Pattern NUMERIC_HOST =
      Pattern.compile("(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]*))*", Pattern.CASE_INSENSITIVE);

  private final List<String> allowedNames;
  private final List<Network> allowedNetworks;

  private AddressRules(List<String> allowedNames, List<Network> allowedNetworks) {
    this.allowedNames = List.copyOf(allowedNames);
    this.allowedNetworks = List.copyOf(allowedNetworks);
  }

  /**
   * Reads {@code offload.http.allow} entries: a CIDR network ({@code 10.1.0.0/16}), an IP
   * literal ({@code 127.0.0.1}, {@code ::1}) or a host name ({@code api.internal}).
   *
   * @throws IllegalArgumentException naming the first entry that is none of these
   */
  public static AddressRules allowing(List<String> entries) {
    List<String> names = new ArrayList<>();
    List<Network> networks = new ArrayList<>();
    for (String raw : entries) {
      String e = raw.trim();
      if (e.isEmpty()) {
        continue;
      }
      int slash = e.indexOf('/');
      if (slash >= 0) {
        InetAddress a = literal(e.substring(0, slash))
            .orElseThrow(() -> new IllegalArgumentException("'" + raw + "' is not a network"));
        int bits;
        try {
          bits = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException x) {
          throw new IllegalArgumentException("'" + raw + "' has no valid prefix length");
        }
        if (bits < 0 || bits > a.getAddress().length * 8) {
          throw new IllegalArgumentException("'" + raw + "' has no valid prefix length");
        }
        networks.add(new Network(a.getAddress(), bits));
      } else if (literal(e).isPresent()) {
        byte[] b = literal(e).get().getAddress();
        networks.add(new Network(b, b.length * 8));
      } else if (e.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\\.?")) {
        names.add(normalizeName(e));
      } else {
        throw new IllegalArgumentException(
            "'" + raw + "' is neither a host name, an IP address nor a CIDR network");
      }
    }
    return new AddressRules(names, networks);
  }

  public static AddressRules none() {
    return new AddressRules(List.of(), List.of());
  }

  /** Lower case without a trailing dot, as names are compared. */
  public static String normalizeName(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  /** The operator trusts this name, whatever it resolves to. */
  public boolean allowsName(String host) {
    return allowedNames.contains(normalizeName(host));
  }

  /**
   * Why a destination name is refused without looking it up (a legacy numeric form or a
   * metadata service name), or empty. Literal addresses are checked by {@link #refusal}.
   */
  public Optional<String> nameRefusal(String host) {
    String h = normalizeName(host);
    if (allowsName(h)) {
      return Optional.empty();
    }
    if (METADATA_NAMES.contains(h)) {
      return Optional.of("a cloud metadata service");
    }
    if (NUMERIC_HOST.matcher(h).matches() && !DOTTED_QUAD.matcher(h).matches()) {
      return Optional.of("a numeric address not in dotted-quad form");
    }
    return Optional.empty();
  }

  /** Why this address is refused ("a loopback address"), or empty when it may be called. */
  public Optional<String> refusal(InetAddress address) {
    byte[] b = address.getAddress();
    for (Network n : allowedNetworks) {
      if (n.contains(b)) {
        return Optional.empty();
      }
    }
    return category(b);
  }

  /**
   * The host of a URL as an address when it is a literal (an IPv4 dotted quad, or an IPv6
   * address with or without brackets); empty for a name. Never looks anything up.
   */
  public static Optional<InetAddress> literal(String host) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    boolean v6 = h.indexOf(':') >= 0 && h.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?");
    if (!v6 && !DOTTED_QUAD.matcher(h).matches()) {
      return Optional.empty();
    }
    try {
      // A literal in these shapes is parsed, never resolved.
      return Optional.of(InetAddress.getByName(h));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> category(byte[] b) {
    if (b.length == 4) {
      return category4(b);
    }
    if (b.length != 16) {
      return Optional.of("an address of unknown kind");
    }
    if (allZero(b, 0, 16)) {
      return Optional.of("the unspecified address");
    }
    if (allZero(b, 0, 15) && b[15] == 1) {
      return Optional.of("a loopback address");
    }
    // Forms that carry an IPv4 address: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64
    // 64:ff9b::a.b.c.d and 6to4 2002:aabb:ccdd::. The IPv4 rules decide for them.
    if (allZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff
        || allZero(b, 0, 12)) {
      return category4(slice(b, 12));
    }
    if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
        && allZero(b, 4, 12)) {
      return category4(slice(b, 12));
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
      return category4(slice(b, 2));
    }
    // fd00:ec2::254, the AWS metadata service over IPv6; it lies in fc00::/7 too.
    if (b[0] == (byte) 0xfd && b[1] == 0 && b[2] == 0x0e && (b[3] & 0xff) == 0xc2
        && allZero(b, 4, 14) && b[14] == 0x02 && b[15] == 0x54) {
      return Optional.of("a cloud metadata address");
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    if ((first & 0xfe) == 0xfc) {
      return Optional.of("a private address");
    }
    if (first == 0xfe && (second & 0xc0) == 0x80) {
      return Optional.of("a link-local address");
    }
    if (first == 0xfe && (second & 0xc0) == 0xc0) {
      return Optional.of("a private address");
    }
    if (first == 0xff) {
      return Optional.of("a multicast address");
    }
    return Optional.empty();
  }

  private static Optional<String> category4(byte[] b) {
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    int a2 = b[2] & 0xff;
    int a3 = b[3] & 0xff;
    if (a0 == 0) {
      return Optional.of("the unspecified address");
    }
    if (a0 == 127) {
      return Optional.of("a loopback address");
    }
    if (a0 == 10 || a0 == 172 && (a1 & 0xf0) == 16 || a0 == 192 && a1 == 168) {
      return Optional.of("a private address");
    }
    if (a0 == 169 && a1 == 254) {
      return Optional.of(a2 == 169 && a3 == 254 ? "a cloud metadata address"
          : "a link-local address");
    }
    if (a0 == 100 && (a1 & 0xc0) == 64) {
      return Optional.of("a shared (CGNAT) address");
    }
    if ((a0 & 0xf0) == 224) {
      return Optional.of("a multicast address");
    }
    if (a0 == 255 && a1 == 255 && a2 == 255 && a3 == 255) {
      return Optional.of("the broadcast address");
    }
    if ((a0 & 0xf0) == 240) {
      return Optional.of("a reserved address");
    }
    return Optional.empty();
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] slice(byte[] b, int from) {
    return new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]};
  }

  /** An allowed network: the leading {@code bits} of {@code prefix}. */
  private record Network(byte[] prefix, int bits) {
    boolean contains(byte[] address) {
      if (address.length != prefix.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != prefix[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (prefix[full] & mask);
    }
  }
}
