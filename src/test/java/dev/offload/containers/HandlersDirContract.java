package dev.offload.containers;

import static dev.offload.containers.OffloadInContainerContract.CTX;
import static dev.offload.containers.OffloadInContainerContract.LEAK_WARNING;
import static dev.offload.containers.OffloadInContainerContract.START;
import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.Http;
import dev.offload.testing.Jars;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A task type of one's own, added to the unchanged WAR in a real container the way the README's
 * "Adding a task type" walks a new user through it: the example project
 * ({@code examples/word-count}) compiled against the api jar alone, jarred with its services
 * file, dropped into the folder {@code offload.handlers.dir} names, next to a broken jar. The
 * type is listed and runs for alice, signed in through the container's realm; the broken jar is
 * named in the log and changes nothing else; the stop closes the jars. One container start per
 * class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class HandlersDirContract {
  static final String JAR = "word-count-1.0.0.jar";
  static final String BROKEN = "broken.jar";

  private Path handlers;
  private ContainerProcess container;
  private Http http;

  /** Starts the container with the WAR at {@value OffloadInContainerContract#CTX}. */
  abstract ContainerProcess launch(String label, Path handlersDir);

  /** The types the container offers with the handler jar: its offload.types, or all found. */
  abstract void assertTypes(Set<String> offered);

  /** A folder that holds the container's temp directory of the application (and its copies). */
  abstract Path containerTemp();

  @BeforeAll
  void buildTheHandlerJarAndStart() throws IOException {
    Path work = Distributions.workDir("handlers-dir-" + getClass().getSimpleName());
    handlers = Files.createDirectories(work.resolve("handlers"));
    // What `mvn package` does in the example project: compile against the api jar (only it, as
    // the example's pom has nothing else), then jar the classes with the services file.
    Path example = Distributions.projectDir().resolve("examples/word-count");
    Path classes = work.resolve("classes");
    Jars.compile(example.resolve("src/main/java"), List.of(Distributions.apiJar()), classes);
    Jars.write(handlers.resolve(JAR), Jars.merge(Jars.tree(classes),
        Jars.tree(example.resolve("src/main/resources"))));
    // A copy cut short, as a download or a copy still under way leaves it.
    byte[] whole = Files.readAllBytes(handlers.resolve(JAR));
    Files.write(handlers.resolve(BROKEN), Arrays.copyOf(whole, whole.length / 2));

    container = launch("handlers", handlers);
    http = DemoUser.ALICE.on(new Http(container.uri(CTX)));
    container.awaitOk(http, "/api/health", START);
  }

  @AfterAll
  void stopContainer() {
    if (container != null) {
      container.close();
    }
  }

  @Test
  @Order(1)
  void theApiJarHoldsTheHandlerSpiAndNothingElse() throws IOException {
    try (JarFile api = new JarFile(Distributions.apiJar().toFile())) {
      List<String> classes = Collections.list(api.entries()).stream()
          .map(e -> e.getName())
          .filter(n -> n.endsWith(".class"))
          .toList();
      assertThat(classes).contains("dev/offload/task/TaskHandler.class",
          "dev/offload/task/TaskContext.class", "dev/offload/task/InvalidInputException.class",
          "dev/offload/task/TaskFailedException.class");
      assertThat(classes).allMatch(n -> n.startsWith("dev/offload/task/"));
    }
  }

  @Test
  @Order(2)
  void theJarsTypeIsListedBesideTheBuiltInOnes() {
    Http.Response r = http.get("/api/types");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    Map<String, JsonObject> types = new HashMap<>();
    OffloadInContainerContract.array(r.body()).getValuesAs(JsonObject.class)
        .forEach(t -> types.put(t.getString("type"), t));
    assertTypes(types.keySet());
    assertThat(types.get("word-count").getJsonObject("example").getString("text"))
        .isEqualTo("the quick brown fox jumps over the lazy dog");
  }

  @Test
  @Order(3)
  void aTaskOfTheJarsTypeRunsToSuccess() {
    Http.Response r = http.postJson("/api/tasks", "{\"type\": \"word-count\", \"input\": {\"text\": "
        + "\"To be, or not to be: that is the question.\", \"top\": 2}}",
        Map.of("Prefer", "wait=30"));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    JsonObject view = r.json();
    assertThat(view.getString("status")).as("%s", view).isEqualTo("success");
    assertThat(view.getString("owner")).isEqualTo(DemoUser.ALICE.username());
    JsonObject result = view.getJsonObject("result");
    assertThat(result.getInt("words")).isEqualTo(10);
    assertThat(result.getInt("distinct")).isEqualTo(8);
    assertThat(result.getJsonArray("top").getValuesAs(JsonObject.class))
        .extracting(w -> w.getString("word") + "=" + w.getInt("count"))
        .containsExactly("be=2", "to=2");
    assertThat(view.getJsonObject("progress").getInt("percent")).isEqualTo(100);
  }

  @Test
  @Order(4)
  void theJarsValidationRefusesABadInputAtOnce() {
    Http.Response r = http.postJson("/api/tasks",
        "{\"type\": \"word-count\", \"input\": {\"top\": 3}}");
    OffloadInContainerContract.assertProblem(r, 422);
    assertThat(r.json().getString("detail")).contains("'text' is required");
  }

  @Test
  @Order(5)
  void theLogNamesTheBrokenJarAndTheTypeLoaded() {
    String log = container.log();
    assertThat(log).contains("Offload left out the handler jar " + handlers.resolve(BROKEN)
        + ": it cannot be read as a jar");
    assertThat(log).contains("Offload loaded task type word-count from "
        + handlers.resolve(JAR));
    assertThat(copies()).as("the copy the class loader reads")
        .anyMatch(p -> p.getFileName().toString().equals(JAR));
  }

  /**
   * The container's own graceful stop: the jars' class loaders are closed and their copies
   * deleted by Offload itself (Jetty empties its temp directory at a stop anyway; Tomcat keeps
   * the application's work directory), and nothing is reported as leaked.
   */
  @Test
  @Order(100)
  void aGracefulStopClosesTheJarsAndLeavesNothingBehind() {
    container.stopGracefully();

    assertThat(container.awaitExit(Duration.ofSeconds(60)))
        .as("%s exits; log:%n%s", container, container.logTail()).isTrue();
    String log = container.log();
    assertThat(log).contains("Offload stopped at " + CTX);
    assertThat(log.lines().filter(l -> LEAK_WARNING.matcher(l).find()))
        .as("leak warnings at the stop").isEmpty();
    assertThat(copies()).as("copies of the handler jars left").isEmpty();
    assertThat(handlers.resolve(JAR)).as("the jar itself stays").isRegularFile();
  }

  /** The copies of the handler jars Offload made in the container's temp directory. */
  private List<Path> copies() {
    try (Stream<Path> s = Files.walk(containerTemp())) {
      return s.filter(p -> p.getParent() != null
              && p.getParent().getFileName().toString().startsWith("offload-handlers-"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
