package dev.offload.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.offload.engine.jarfixtures.BadTypeHandler;
import dev.offload.engine.jarfixtures.EchoHandler;
import dev.offload.engine.jarfixtures.FixtureHandler;
import dev.offload.engine.jarfixtures.GreetHandler;
import dev.offload.engine.jarfixtures.GreetTwin;
import dev.offload.engine.jarfixtures.Helper;
import dev.offload.engine.jarfixtures.NeedsHelper;
import dev.offload.engine.jarfixtures.NoopTwin;
import dev.offload.engine.jarfixtures.ThrowingHandler;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskHandler;
import dev.offload.testing.Jars;
import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HandlerJarsTest {
  private static final String FIXTURES = "dev.offload.engine.jarfixtures.";
  /** The types of the WAR itself (its META-INF/services), which a jar may not bring again. */
  private static final List<String> BUILT_IN = List.of("noop", "sleep", "pbkdf2", "http");
  private static final Consumer<TaskHandler<?, ?>> ANY = h -> { };

  /**
   * The test class path without the fixtures: what a web application's class loader is to a
   * handler jar. Without it the jars' loaders would find every fixture on the class path first
   * (parent first), and the jars would hold nothing of their own.
   */
  private static final ClassLoader WAR = new ClassLoader("war", HandlerJarsTest.class
      .getClassLoader()) {
    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.startsWith(FIXTURES)) {
        throw new ClassNotFoundException(name + " (not in the WAR)");
      }
      return super.loadClass(name, resolve);
    }
  };

  @TempDir Path dir;
  @TempDir Path temp;

  @BeforeEach
  void forgetClosedHandlers() {
    JarFixtureEvents.CLOSED.clear();
  }

  // ---- the jars

  private Path jar(String name, Map<String, byte[]> entries) {
    return Jars.write(dir.resolve(name), entries);
  }

  /** A jar of these handler classes (and the base they share), listing them as services. */
  private Path handlerJar(String name, Class<?>... handlers) {
    List<Map<String, byte[]>> parts = new ArrayList<>();
    parts.add(Jars.classes(FixtureHandler.class));
    parts.add(Jars.classes(handlers));
    parts.add(Jars.services(Stream.of(handlers).map(Class::getName).toArray(String[]::new)));
    @SuppressWarnings("unchecked")
    Map<String, byte[]>[] all = parts.toArray(Map[]::new);
    return jar(name, Jars.merge(all));
  }

  private HandlerJars load(Consumer<TaskHandler<?, ?>> check) {
    return HandlerJars.load(dir, temp, WAR, BUILT_IN, check);
  }

  private static List<String> types(HandlerJars jars) {
    return jars.handlers().stream().map(TaskHandler::type).toList();
  }

  @SuppressWarnings("unchecked")
  private static Object run(TaskHandler<?, ?> handler, Object input) throws Exception {
    TaskContext context = new TaskContext() {
      @Override
      public UUID taskId() {
        return UUID.randomUUID();
      }

      @Override
      public int attempt() {
        return 1;
      }

      @Override
      public void progress(int percent, String message) {}
    };
    return ((TaskHandler<Object, Object>) handler).run(input, context);
  }

  private static Object greetInput(TaskHandler<?, ?> greet) throws Exception {
    return greet.inputType().getConstructor(String.class).newInstance("Grace");
  }

  // ---- loading

  @Test
  void eachJarsHandlersLoadInAClassLoaderOfTheirOwnUnderTheWars() throws Exception {
    Path echo = handlerJar("echo.jar", EchoHandler.class);
    Path greet = handlerJar("greet.jar", GreetHandler.class);

    try (HandlerJars jars = load(ANY)) {
      assertThat(types(jars)).as("in the order of the jars' names").containsExactly("echo",
          "greet");
      assertThat(jars.loaded()).containsExactly(new HandlerJars.Loaded(echo, List.of("echo")),
          new HandlerJars.Loaded(greet, List.of("greet")));
      assertThat(jars.skipped()).isEmpty();

      TaskHandler<?, ?> e = jars.handlers().get(0);
      TaskHandler<?, ?> g = jars.handlers().get(1);
      ClassLoader echoLoader = e.getClass().getClassLoader();
      ClassLoader greetLoader = g.getClass().getClassLoader();
      assertThat(echoLoader).isInstanceOf(URLClassLoader.class).isNotSameAs(greetLoader);
      assertThat(echoLoader.getParent()).isSameAs(WAR);
      assertThat(greetLoader.getParent()).isSameAs(WAR);
      assertThat(echoLoader.getName()).isEqualTo("offload-handlers:echo.jar");
      // The SPI comes from the WAR, not from the jar: that is what makes it a TaskHandler here.
      assertThat(echoLoader.loadClass(TaskHandler.class.getName())).isSameAs(TaskHandler.class);
      assertThatThrownBy(() -> greetLoader.loadClass(EchoHandler.class.getName()))
          .as("jars do not see each other").isInstanceOf(ClassNotFoundException.class);

      assertThat(run(g, greetInput(g)).toString()).isEqualTo("Greeting[greeting=hello Grace]");
    }
  }

  @Test
  void anEmptyFolderAndFilesThatAreNotJarsGiveNothing() throws IOException {
    Files.writeString(dir.resolve("README.txt"), "not a jar");
    Files.writeString(dir.resolve(".#greet.jar"), "an editor's lock file");
    Files.createDirectory(dir.resolve("lib.jar"));

    try (HandlerJars jars = load(ANY)) {
      assertThat(jars.handlers()).isEmpty();
      assertThat(jars.skipped()).as("nothing was a jar to try").isEmpty();
    }
  }

  /** A broken jar of each kind, next to a good one: named with its reason, the good one loads. */
  static Stream<Arguments> brokenJars() {
    return Stream.of(
        Arguments.of("not a zip file at all", (Broken) t -> Files.writeString(
            t.dir.resolve("broken.jar"), "this is not a zip file"), "cannot be read as a jar"),
        Arguments.of("no services file", (Broken) t -> t.jar("broken.jar",
            Jars.classes(FixtureHandler.class, EchoHandler.class)),
            "it lists no handler: it has no META-INF/services/dev.offload.task.TaskHandler"),
        Arguments.of("a listed class that is not there", (Broken) t -> t.jar("broken.jar",
            Jars.merge(Jars.classes(FixtureHandler.class),
                Jars.services("com.example.Missing"))), "Provider com.example.Missing not found"),
        Arguments.of("a listed class that is no handler", (Broken) t -> t.jar("broken.jar",
            Jars.merge(Jars.classes(Helper.class), Jars.services(Helper.class.getName()))),
            "Helper not a subtype"),
        Arguments.of("a class the handler needs is missing", (Broken) t -> t.jar("broken.jar",
            Jars.merge(Jars.classes(FixtureHandler.class, NeedsHelper.class),
                Jars.services(NeedsHelper.class.getName()))), "jarfixtures/Helper"),
        Arguments.of("a constructor that throws",
            (Broken) t -> t.handlerJar("broken.jar", ThrowingHandler.class),
            "no licence key configured"),
        Arguments.of("an invalid type name",
            (Broken) t -> t.handlerJar("broken.jar", BadTypeHandler.class),
            "invalid type name 'Bad Type'"),
        Arguments.of("a built-in type",
            (Broken) t -> t.handlerJar("broken.jar", NoopTwin.class),
            "type 'noop' of " + NoopTwin.class.getName() + " is taken by a built-in type"),
        Arguments.of("services listing only the WAR's classes", (Broken) t -> t.jar("broken.jar",
            Jars.services("dev.offload.handlers.NoopHandler")), "lists no class of this jar"));
  }

  @FunctionalInterface
  interface Broken {
    Path write(HandlerJarsTest test) throws IOException;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenJars")
  void aBrokenJarIsLeftOutWithItsReasonAndTheOthersLoad(String kind, Broken broken,
      String reason) throws IOException {
    handlerJar("a-echo.jar", EchoHandler.class);
    Path bad = broken.write(this);
    handlerJar("z-greet.jar", GreetHandler.class);

    try (HandlerJars jars = load(ANY)) {
      assertThat(types(jars)).containsExactly("echo", "greet");
      assertThat(jars.skipped()).hasSize(1);
      assertThat(jars.skipped().get(0).jar()).isEqualTo(bad);
      assertThat(jars.skipped().get(0).reason()).contains(reason);
    }
  }

  @Test
  void aJarIsTakenWholeOrNotAtAllAndWhatItHadBuiltIsClosed() throws IOException {
    // greet is built first (the services file's order), then ThrowingHandler fails.
    handlerJar("mixed.jar", GreetHandler.class, ThrowingHandler.class);

    try (HandlerJars jars = load(ANY)) {
      assertThat(jars.handlers()).isEmpty();
      assertThat(jars.skipped()).singleElement()
          .satisfies(s -> assertThat(s.reason()).contains("ThrowingHandler"));
    }
    assertThat(JarFixtureEvents.CLOSED).containsExactly("greet");
  }

  @Test
  void aTypeTwoJarsBringGoesToTheFirstByName() {
    handlerJar("a-greet.jar", GreetHandler.class);
    Path twin = handlerJar("b-greet.jar", GreetTwin.class);

    try (HandlerJars jars = load(ANY)) {
      assertThat(types(jars)).containsExactly("greet");
      assertThat(jars.handlers().get(0)).isNotInstanceOf(FixtureHandler.class);
      assertThat(jars.skipped()).singleElement().satisfies(s -> {
        assertThat(s.jar()).isEqualTo(twin);
        assertThat(s.reason()).isEqualTo("type 'greet' of " + GreetTwin.class.getName()
            + " is taken by " + GreetHandler.class.getName() + " of a-greet.jar");
      });
    }
  }

  @Test
  void aHandlerTheCheckRefusesLeavesItsJarOut() {
    handlerJar("echo.jar", EchoHandler.class);
    handlerJar("greet.jar", GreetHandler.class);

    try (HandlerJars jars = load(h -> {
      if (h.type().equals("echo")) {
        throw new IllegalArgumentException("its example cannot be written as JSON");
      }
    })) {
      assertThat(types(jars)).containsExactly("greet");
      assertThat(jars.skipped()).singleElement()
          .satisfies(s -> assertThat(s.reason()).contains("its example cannot be written"));
    }
  }

  @Test
  void theLogNamesTheJarLeftOutAndTheTypesLoaded() throws IOException {
    handlerJar("greet.jar", GreetHandler.class);
    Path broken = dir.resolve("broken.jar");
    Files.writeString(broken, "this is not a zip file");
    Logger logger = Logger.getLogger(HandlerJars.class.getName());
    List<LogRecord> records = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    logger.addHandler(capture);
    try (HandlerJars jars = load(ANY)) {
      assertThat(records).anySatisfy(r -> {
        assertThat(r.getLevel()).isEqualTo(Level.WARNING);
        assertThat(r.getMessage()).startsWith("Offload left out the handler jar " + broken
            + ": it cannot be read as a jar");
      });
      assertThat(records).anySatisfy(r -> {
        assertThat(r.getLevel()).isEqualTo(Level.INFO);
        assertThat(r.getMessage()).isEqualTo("Offload loaded task type greet from "
            + dir.resolve("greet.jar"));
      });
    } finally {
      logger.removeHandler(capture);
    }
  }

  // ---- copies and closing

  @Test
  void aJarWrittenOverWhileItsHandlersRunChangesNothingThatRuns() throws Exception {
    Path greet = handlerJar("greet.jar", GreetHandler.class);
    try (HandlerJars jars = load(ANY)) {
      TaskHandler<?, ?> g = jars.handlers().get(0);
      // Written over in place, as `cp new.jar handlers/` does. The result class has not been
      // loaded yet: it comes from the copy made at start.
      Files.writeString(greet, "half of a new jar");

      assertThat(run(g, greetInput(g)).toString()).isEqualTo("Greeting[greeting=hello Grace]");
    }
  }

  @Test
  void closeClosesTheClassLoadersAndDeletesTheCopies() throws Exception {
    handlerJar("greet.jar", GreetHandler.class);
    Files.writeString(dir.resolve("broken.jar"), "this is not a zip file");
    HandlerJars jars = load(ANY);
    ClassLoader loader = jars.handlers().get(0).getClass().getClassLoader();
    try (Stream<Path> copies = Files.walk(temp)) {
      assertThat(copies.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("greet.jar", "broken.jar");
    }

    jars.close();
    jars.close();

    try (Stream<Path> left = Files.list(temp)) {
      assertThat(left).as("what the copies leave in the temp directory").isEmpty();
    }
    assertThatThrownBy(() -> loader.loadClass(GreetHandler.Greeting.class.getName()))
        .as("a class not loaded before the close").isInstanceOf(ClassNotFoundException.class);
    assertThat(dir.resolve("greet.jar")).as("the jar itself stays").isRegularFile();
  }
}
