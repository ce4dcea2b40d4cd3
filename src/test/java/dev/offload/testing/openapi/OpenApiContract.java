package dev.offload.testing.openapi;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Offload's OpenAPI document as a contract that one HTTP answer either keeps or breaks. Given
 * the request (method, path, query) and the answer (status, headers, body), it finds the
 * operation by path template and method, and says what the document does not allow:
 *
 * <ul>
 *   <li>a status the operation does not list;
 *   <li>a header the response requires that is missing, or a header whose value does not fit
 *       its schema ({@code Retry-After} a number, {@code Allow} a list of methods, ...);
 *   <li>a media type the response does not list, a body where it lists none, no body where it
 *       lists one (unless the response says it {@code x-offload-may-be-empty});
 *   <li>a body that does not fit its schema (JSON Schema 2020-12, with the formats asserted:
 *       {@code uuid}, {@code date-time});
 *   <li>for {@code text/event-stream}, an event whose name the media type's {@code
 *       x-offload-events} does not list, or whose {@code data:} does not fit that event's schema;
 *   <li>a 2xx answer to a request with a query parameter the operation does not list, one given
 *       twice, or a value that does not fit its schema: the document says those are refused.
 * </ul>
 *
 * Two rules the document states in words, for answers no operation describes: a path under
 * {@code /api} it does not list is a 404 problem, and a method a path does not list is a 405
 * problem; either may be refused earlier by the authentication (401, 403).
 *
 * <p>Bodies are validated with networknt's json-schema-validator in the OpenAPI 3.1 dialect,
 * against the document itself (a schema is addressed by its JSON pointer in it), so a {@code
 * $ref} means what it means to any other OpenAPI tool. The document is read with JSON-P.
 */
public final class OpenApiContract {
  /** Where the document lives in the source tree (served by OpenApiServlet). */
  public static final Path DOCUMENT = Path.of("webapp", "WEB-INF", "openapi.json");

  /** The identity the validator knows the document by; it is given, never fetched. */
  private static final String DOC_ID = "https://offload.example/openapi.json";
  private static final Set<String> METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
  private static final Pattern EVENT_ID = Pattern.compile("[0-9]+");
  /**
   * Looked up once: {@code Json.createValue} and the like look the provider up on every call,
   * which cost more than validating the body itself (FloodIT checks 200,000 answers).
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  /** A request and the answer it got. Header names are lower case. */
  public record Answer(String method, String path, String query, int status,
      Map<String, List<String>> headers, byte[] body, boolean complete) {

    /** An answer with the headers given as name, value pairs (for tests). */
    public static Answer of(String method, String path, String query, int status,
        Map<String, String> headers, String body) {
      Map<String, List<String>> h = new LinkedHashMap<>();
      headers.forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), List.of(v)));
      return new Answer(method, path, query, status, h, body.getBytes(StandardCharsets.UTF_8),
          true);
    }

    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Override
    public String toString() {
      return method + " " + path + (query == null ? "" : "?" + query) + " -> " + status;
    }
  }

  /**
   * What one answer was found to be.
   *
   * @param operation the operation it was matched to ("GET /api/tasks/{id}"), or null when the
   *     path is not part of the API (the status page, its scripts)
   * @param violations what the document does not allow; empty when the answer keeps it
   * @param events stream events whose data was validated
   */
  public record Verdict(String operation, List<String> violations, int events) {
    public boolean isApi() {
      return operation != null;
    }
  }

  private record Node(JsonObject value, String pointer) {}

  private record Template(String path, String[] segments, int literals) {}

  private final JsonObject doc;
  private final List<Template> templates;
  private final SchemaRegistry registry;
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

  private OpenApiContract(String text) {
    try (JsonReader r = JSON.createReader(new StringReader(text))) {
      doc = r.readObject();
    }
    List<Template> t = new ArrayList<>();
    for (String p : doc.getJsonObject("paths").keySet()) {
      String[] segments = p.split("/", -1);
      int literals = 0;
      for (String s : segments) {
        literals += s.startsWith("{") ? 0 : 1;
      }
      t.add(new Template(p, segments, literals));
    }
    // The most literal template first: /api/tasks/x/events over /api/tasks/{id}/{other}.
    t.sort(Comparator.comparingInt(Template::literals).reversed());
    templates = List.copyOf(t);
    // Inputs and results are echoed as clients wrote them, and Offload accepts numbers of up
    // to 1100 characters and nesting up to its own limit: the parser must not refuse what the
    // server rightly accepted.
    JsonMapper mapper = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                .maxNumberLength(1 << 20)
                .maxNestingDepth(10_000)
                .maxStringLength(Integer.MAX_VALUE)
                .maxDocumentLength(-1)
                .build())
            .build())
        .build();
    registry = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi31(), b -> b
        .schemas(Map.of(DOC_ID, text))
        .nodeReader(n -> n.jsonMapper(mapper))
        .schemaRegistryConfig(SchemaRegistryConfig.builder()
            .formatAssertionsEnabled(true)
            .build()));
  }

  /** The document of the source tree (tests run in the project's directory). */
  public static OpenApiContract load() {
    return load(DOCUMENT);
  }

  public static OpenApiContract load(Path file) {
    try {
      return new OpenApiContract(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("reading the OpenAPI document " + file.toAbsolutePath()
          + " failed (tests run in the project's directory)", e);
    }
  }

  /**
   * The document of the source tree, read once per test JVM: the contract holds nothing that
   * changes (its compiled schemas are a cache), and every embedded server can share it.
   */
  public static OpenApiContract shared() {
    return Shared.CONTRACT;
  }

  private static final class Shared {
    static final OpenApiContract CONTRACT = load();
  }

  public static OpenApiContract of(String text) {
    return new OpenApiContract(text);
  }

  /**
   * What is wrong with {@code json} as the body of the webhook {@code name} (OpenAPI 3.1's
   * {@code webhooks}: what Offload sends, not what it answers); empty when it fits.
   */
  public List<String> checkWebhookBody(String name, String json) {
    return validate("/webhooks/" + escape(name) + "/post/requestBody/content/"
        + escape("application/json") + "/schema", json);
  }

  /** Whether the document (or its rule for unknown paths) speaks for this path. */
  public boolean isApi(String path) {
    return template(path) != null || path.equals("/api") || path.startsWith("/api/");
  }

  /** Checks one answer; {@code path} is relative to the context path, decoded. */
  public Verdict check(Answer a) {
    List<String> v = new ArrayList<>();
    Template t = template(a.path());
    if (t == null) {
      if (!isApi(a.path())) {
        return new Verdict(null, List.of(), 0);
      }
      // The document's rule for the rest of /api: 404, unless the authentication refused first.
      String op = a.method() + " (no documented path)";
      Node response = switch (a.status()) {
        case 401 -> ref("#/components/responses/Unauthorized");
        case 403 -> ref("#/components/responses/Forbidden");
        case 404 -> ref("#/components/responses/NotFound");
        default -> null;
      };
      if (response == null) {
        v.add(a + ": a path the document does not list must be 404 (or 401/403), got "
            + a.status());
        return new Verdict(op, v, 0);
      }
      int events = checkResponse(a, response, v);
      return new Verdict(op, v, events);
    }
    Node pathItem = node(doc.getJsonObject("paths").getJsonObject(t.path()),
        "/paths/" + escape(t.path()));
    String method = a.method().toLowerCase(Locale.ROOT);
    String op = a.method() + " " + t.path();
    if (!METHODS.contains(method) || !pathItem.value().containsKey(method)) {
      Node response = switch (a.status()) {
        case 401 -> ref("#/components/responses/Unauthorized");
        case 403 -> ref("#/components/responses/Forbidden");
        case 405 -> ref("#/components/responses/MethodNotAllowed");
        default -> null;
      };
      if (response == null) {
        v.add(a + ": " + a.method() + " is not an operation of " + t.path()
            + "; the document says it is answered 405 (or 401/403), got " + a.status());
        return new Verdict(op, v, 0);
      }
      return new Verdict(op, v, checkResponse(a, response, v));
    }
    Node operation = child(pathItem, method);
    checkQuery(a, pathItem, operation, v);
    JsonObject responses = operation.value().getJsonObject("responses");
    String code = Integer.toString(a.status());
    if (!responses.containsKey(code)) {
      v.add(a + ": status " + code + " is not documented for " + op + " (documented: "
          + String.join(", ", new TreeSet<>(responses.keySet())) + ")");
      return new Verdict(op, v, 0);
    }
    Node response = resolve(responses.get(code), operation.pointer() + "/responses/" + code);
    return new Verdict(op, v, checkResponse(a, response, v));
  }

  /** Headers, media type and body of one answer against one response object. */
  private int checkResponse(Answer a, Node response, List<String> v) {
    JsonObject headers = response.value().getJsonObject("headers");
    if (headers != null) {
      for (String name : headers.keySet()) {
        Node header = resolve(headers.get(name), response.pointer() + "/headers/"
            + escape(name));
        String value = a.header(name);
        if (value == null) {
          if (header.value().getBoolean("required", false)) {
            v.add(a + ": the header " + name + " is required and missing");
          }
          continue;
        }
        if (header.value().containsKey("schema")) {
          String json = headerJson(resolveSchema(header.value().get("schema")), value);
          for (String e : validate(header.pointer() + "/schema", json)) {
            v.add(a + ": header " + name + ": " + value + ": " + e);
          }
        }
      }
    }
    boolean head = a.method().equals("HEAD");
    String contentType = a.header("Content-Type");
    String mediaType = contentType == null ? null
        : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    JsonObject content = response.value().getJsonObject("content");
    if (content == null) {
      if (!head && a.body().length > 0) {
        v.add(a + ": the document lists no body for this answer, got " + a.body().length
            + " bytes of " + contentType);
      }
      return 0;
    }
    if (mediaType == null && a.body().length == 0
        && (head || response.value().getBoolean("x-offload-may-be-empty", false))) {
      return 0;
    }
    if (mediaType == null || !content.containsKey(mediaType)) {
      v.add(a + ": media type " + contentType + " is not documented here (documented: "
          + String.join(", ", content.keySet()) + ")");
      return 0;
    }
    if (head) {
      return 0; // a HEAD answer has no body, whatever its headers say it would be
    }
    String pointer = response.pointer() + "/content/" + escape(mediaType);
    JsonObject media = content.getJsonObject(mediaType);
    String body = new String(a.body(), StandardCharsets.UTF_8);
    if (media.containsKey("x-offload-events")) {
      return checkEvents(a, body, pointer, media.getJsonObject("x-offload-events"), v);
    }
    if (!a.complete()) {
      return 0; // the client went away before the body was written: nothing whole to check
    }
    if (body.isEmpty() && !response.value().getBoolean("x-offload-may-be-empty", false)) {
      v.add(a + ": the body is empty; the document says " + mediaType);
      return 0;
    }
    if (media.containsKey("schema") && isJson(mediaType)) {
      for (String e : validate(pointer + "/schema", body)) {
        v.add(a + ": body: " + e + " in " + shortened(body));
      }
    }
    return 0;
  }

  /** A Server-Sent Events body: each event's name listed, its data fits its schema. */
  private int checkEvents(Answer a, String body, String pointer, JsonObject events,
      List<String> v) {
    String[] blocks = body.replace("\r\n", "\n").split("\n\n", -1);
    int checked = 0;
    long lastId = -1;
    // The last block is what followed the final blank line: empty when the stream ended
    // cleanly, an event cut short when the client went away mid-write.
    for (int i = 0; i < blocks.length - 1; i++) {
      String id = null;
      String name = "message";
      StringBuilder data = null;
      boolean comment = true;
      for (String line : blocks[i].split("\n")) {
        if (line.startsWith(":")) {
          continue;
        }
        comment = false;
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        value = value.startsWith(" ") ? value.substring(1) : value;
        switch (field) {
          case "id" -> id = value;
          case "event" -> name = value;
          case "data" -> data = data == null ? new StringBuilder(value)
              : data.append('\n').append(value);
          case "retry" -> { }
          default -> v.add(a + ": event " + (i + 1) + ": unknown field '" + field + "'");
        }
      }
      if (comment) {
        continue;
      }
      String where = a + ": event " + (i + 1) + " (" + name + ")";
      if (id == null || !EVENT_ID.matcher(id).matches()) {
        v.add(where + ": needs a numeric id, got " + id);
      } else if (Long.parseLong(id) <= lastId) {
        v.add(where + ": id " + id + " does not follow " + lastId);
      } else {
        lastId = Long.parseLong(id);
      }
      if (!events.containsKey(name)) {
        v.add(where + ": the document lists the events " + events.keySet());
        continue;
      }
      if (data == null) {
        v.add(where + ": no data");
        continue;
      }
      for (String e : validate(pointer + "/x-offload-events/" + escape(name), data.toString())) {
        v.add(where + ": data: " + e + " in " + shortened(data.toString()));
      }
      checked++;
    }
    String rest = blocks[blocks.length - 1];
    if (a.complete() && !rest.isBlank()) {
      v.add(a + ": the stream ended inside an event: " + shortened(rest));
    }
    return checked;
  }

  /**
   * The query of a request that was answered 2xx: the document says an unknown or repeated
   * parameter, or a value that does not fit, is refused; an answer that served it has drifted.
   */
  private void checkQuery(Answer a, Node pathItem, Node operation, List<String> v) {
    // OPTIONS says what the resource allows whatever the query: it reads none.
    if (a.status() >= 300 || a.query() == null || a.query().isEmpty()
        || a.method().equals("OPTIONS")) {
      return;
    }
    Map<String, Node> known = new HashMap<>();
    for (Node item : List.of(pathItem, operation)) {
      if (item.value().containsKey("parameters")) {
        var list = item.value().getJsonArray("parameters");
        for (int i = 0; i < list.size(); i++) {
          Node p = resolve(list.get(i), item.pointer() + "/parameters/" + i);
          if (p.value().getString("in").equals("query")) {
            known.put(p.value().getString("name"), p);
          }
        }
      }
    }
    Set<String> seen = new HashSet<>();
    for (String pair : a.query().split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      Node p = known.get(name);
      if (p == null) {
        v.add(a + ": served although '" + name + "' is not a parameter of this operation");
        continue;
      }
      if (!seen.add(name)) {
        v.add(a + ": served although '" + name + "' is given twice");
      }
      if (!value.isEmpty()) {
        String json = headerJson(resolveSchema(p.value().get("schema")), value);
        for (String e : validate(p.pointer() + "/schema", json)) {
          v.add(a + ": served although parameter " + name + "=" + value + " does not fit: " + e);
        }
      }
    }
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /** A header or query value as JSON: a number where the schema wants one, else a string. */
  private static String headerJson(JsonObject schema, String value) {
    String type = schema == null ? null : schema.getString("type", null);
    if (("integer".equals(type) || "number".equals(type))
        && INTEGER.matcher(value.trim()).matches()) {
      return value.trim();
    }
    return JSON.createValue(value).toString();
  }

  private JsonObject resolveSchema(JsonValue schema) {
    if (!(schema instanceof JsonObject o)) {
      return null;
    }
    return resolve(o, "").value();
  }

  /** The violations of the JSON text {@code json} against the schema at {@code pointer}. */
  private List<String> validate(String pointer, String json) {
    Schema schema = schemas.computeIfAbsent(pointer, p ->
        registry.getSchema(SchemaLocation.of(DOC_ID + "#" + fragment(p))));
    List<Error> errors;
    try {
      errors = schema.validate(json, InputFormat.JSON);
    } catch (RuntimeException e) {
      return List.of("not JSON (" + e.getMessage() + ")");
    }
    return errors.stream().map(Error::toString).toList();
  }

  private static boolean isJson(String mediaType) {
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  private Template template(String path) {
    String[] segments = path.split("/", -1);
    for (Template t : templates) {
      if (t.segments().length != segments.length) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < segments.length && match; i++) {
        String s = t.segments()[i];
        match = s.startsWith("{") ? !segments[i].isEmpty() : s.equals(segments[i]);
      }
      if (match) {
        return t;
      }
    }
    return null;
  }

  private Node ref(String ref) {
    return resolve(JSON.createObjectBuilder().add("$ref", ref).build(), "");
  }

  private static Node node(JsonObject value, String pointer) {
    return new Node(value, pointer);
  }

  private static Node child(Node parent, String key) {
    return new Node(parent.value().getJsonObject(key), parent.pointer() + "/" + escape(key));
  }

  /** Follows {@code $ref}s within the document, keeping track of where the target is. */
  private Node resolve(JsonValue value, String pointer) {
    JsonObject o = value.asJsonObject();
    String at = pointer;
    for (int hops = 0; o.get("$ref") instanceof JsonString ref; hops++) {
      if (hops > 16 || !ref.getString().startsWith("#/")) {
        throw new IllegalStateException("cannot follow " + ref + " at " + pointer);
      }
      at = ref.getString().substring(1);
      o = JSON.createPointer(at).getValue(doc).asJsonObject();
    }
    return new Node(o, at);
  }

  /** One JSON pointer token. */
  static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  /** A JSON pointer as a URI fragment: characters a fragment may not hold, percent-encoded. */
  static String fragment(String pointer) {
    StringBuilder b = new StringBuilder();
    for (byte c : pointer.getBytes(StandardCharsets.UTF_8)) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c & 0xff));
      }
    }
    return b.toString();
  }

  private static String shortened(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
