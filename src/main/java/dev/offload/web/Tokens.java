package dev.offload.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Bearer tokens for programs, from a file that holds only a hash of each token:
 *
 * <pre>
 * # sha256:&lt;hex of SHA-256 of the token&gt;  &lt;owner&gt;  &lt;role&gt;[,&lt;role&gt;...]
 * sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  ci-bot  offload-user
 * </pre>
 *
 * <p>The file is read again when it changes (checked at most once a second), so tokens are added
 * and revoked without a restart. A presented token is hashed and compared with every entry in
 * constant time, so the time an answer takes says nothing about how close a guess was. A file
 * that cannot be read or parsed keeps the tokens of the last good read (logged); at start it
 * refuses every token.
 */
final class Tokens {
  private static final Logger LOG = Logger.getLogger(Tokens.class.getName());
  private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  /** One line of the file. */
  record Entry(byte[] hash, String owner, Set<Role> roles) {}

  private record Loaded(List<Entry> entries, FileTime modified, long size, Instant checked) {}

  private final Path file;
  private final Clock clock;
  private volatile Loaded loaded;

  Tokens(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
    this.loaded = new Loaded(List.of(), null, -1, Instant.MIN);
    refresh();
  }

  /** The caller a token identifies, if it is in the file. */
  Optional<Caller> identify(String token) {
    refresh();
    byte[] presented = sha256(token);
    Entry match = null;
    for (Entry e : loaded.entries()) {
      // No early exit: every entry is compared, matched or not.
      if (MessageDigest.isEqual(presented, e.hash()) & match == null) {
        match = e;
      }
    }
    return match == null ? Optional.empty()
        : Optional.of(new Caller(match.owner(), match.roles(), Caller.Via.TOKEN));
  }

  /** Reads the file again if it changed since the last look (at most once per second). */
  private void refresh() {
    Loaded current = loaded;
    Instant now = clock.instant();
    if (current.checked().plus(CHECK_EVERY).isAfter(now)) {
      return;
    }
    synchronized (this) {
      current = loaded;
      if (current.checked().plus(CHECK_EVERY).isAfter(now)) {
        return;
      }
      try {
        FileTime modified = Files.getLastModifiedTime(file);
        long size = Files.size(file);
        if (modified.equals(current.modified()) && size == current.size()) {
          loaded = new Loaded(current.entries(), modified, size, now);
          return;
        }
        List<Entry> entries = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
        loaded = new Loaded(entries, modified, size, now);
        LOG.info(() -> "read " + entries.size() + " bearer tokens from " + file);
      } catch (IOException | IllegalArgumentException e) {
        loaded = new Loaded(current.entries(), current.modified(), current.size(), now);
        LOG.log(Level.WARNING, "cannot read the tokens file " + file + "; keeping the "
            + current.entries().size() + " tokens read before: " + e.getMessage());
      }
    }
  }

  static List<Entry> parse(List<String> lines) {
    List<Entry> entries = new ArrayList<>();
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length != 3 || !f[0].startsWith("sha256:") || f[0].length() != 7 + 64) {
        throw new IllegalArgumentException("line " + n + ": expected 'sha256:<64 hex digits> "
            + "<owner> <role>[,<role>...]'");
      }
      byte[] hash;
      try {
        hash = HexFormat.of().parseHex(f[0].substring(7));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + n + ": the hash is not hexadecimal");
      }
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String r : f[2].split(",")) {
        final int line0 = n;
        roles.add(Role.of(r).orElseThrow(() -> new IllegalArgumentException("line " + line0
            + ": unknown role '" + r + "'")));
      }
      entries.add(new Entry(hash, f[1], roles));
    }
    return List.copyOf(entries);
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** The line to put in the file for {@code token}. */
  static String line(String token, String owner, String roles) {
    return "sha256:" + HexFormat.of().formatHex(sha256(token)) + " " + owner + " " + roles;
  }
}
