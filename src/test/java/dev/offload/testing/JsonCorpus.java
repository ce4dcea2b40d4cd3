package dev.offload.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON corpus of {@code src/test/resources/json-corpus}: one file of raw bytes per case and
 * {@code manifest.tsv}, which says for each what StrictJson and the HTTP API must make of it.
 * The settings the statuses hold for are {@code # name=value} lines of the manifest.
 */
public final class JsonCorpus {
  private static final String DIR = "json-corpus/";
  private static final byte[] WRAP_BEFORE =
      "{\"type\":\"noop\",\"input\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] WRAP_AFTER = "}".getBytes(StandardCharsets.US_ASCII);

  /**
   * One case.
   *
   * @param json whether StrictJson accepts the bytes alone
   * @param body the status of the bytes sent as the whole body
   * @param input the status of the bytes sent as the input of a noop task
   */
  public record Case(String file, boolean json, int body, int input, String why, byte[] bytes) {
    /** {@code {"type":"noop","input":} + bytes + {@code }}. */
    public byte[] asInput() {
      byte[] out = new byte[WRAP_BEFORE.length + bytes.length + WRAP_AFTER.length];
      System.arraycopy(WRAP_BEFORE, 0, out, 0, WRAP_BEFORE.length);
      System.arraycopy(bytes, 0, out, WRAP_BEFORE.length, bytes.length);
      System.arraycopy(WRAP_AFTER, 0, out, WRAP_BEFORE.length + bytes.length, WRAP_AFTER.length);
      return out;
    }

    /** The category: the file name up to its first dash. */
    public String category() {
      return file.substring(0, file.indexOf('-'));
    }

    @Override
    public String toString() {
      return file + " (" + why + ")";
    }
  }

  private final List<Case> cases;
  private final Map<String, String> settings;

  private JsonCorpus(List<Case> cases, Map<String, String> settings) {
    this.cases = List.copyOf(cases);
    this.settings = Map.copyOf(settings);
  }

  public static JsonCorpus load() {
    List<Case> cases = new ArrayList<>();
    Map<String, String> settings = new LinkedHashMap<>();
    String manifest = new String(read("manifest.tsv"), StandardCharsets.UTF_8);
    boolean header = true;
    for (String line : manifest.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("#")) {
        String s = line.substring(1).trim();
        int eq = s.indexOf('=');
        if (s.startsWith("offload.") && eq > 0) {
          settings.put(s.substring(0, eq).trim(), s.substring(eq + 1).trim());
        }
        continue;
      }
      if (header) {
        header = false; // the column names
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 5 || !(f[1].equals("ok") || f[1].equals("bad"))) {
        throw new IllegalStateException("bad manifest line: " + line);
      }
      cases.add(new Case(f[0], f[1].equals("ok"), Integer.parseInt(f[2]),
          Integer.parseInt(f[3]), f[4], read(f[0])));
    }
    return new JsonCorpus(cases, settings);
  }

  public List<Case> cases() {
    return cases;
  }

  /** A setting the statuses depend on, e.g. {@code offload.body.max.bytes}. */
  public String setting(String name) {
    String v = settings.get(name);
    if (v == null) {
      throw new IllegalStateException("the manifest names no " + name);
    }
    return v;
  }

  public Map<String, String> settings() {
    return settings;
  }

  /** The bytes as text, decoded as strictly as Offload reads a body; null when not UTF-8. */
  public static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static byte[] read(String file) {
    try (InputStream in = JsonCorpus.class.getClassLoader().getResourceAsStream(DIR + file)) {
      if (in == null) {
        throw new IllegalStateException("no corpus file " + DIR + file + " on the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
