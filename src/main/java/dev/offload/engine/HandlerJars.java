package dev.offload.engine;

import dev.offload.task.TaskHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Task types from the handler jars in one folder ({@code offload.handlers.dir}), read once when
 * Offload starts.
 *
 * <p>Each jar gets a class loader of its own whose parent is the one given (the web
 * application's), asked first: the jar's classes see {@code dev.offload.task} and the rest of
 * the WAR and the JDK, a jar that bundles a copy of the SPI still runs on the WAR's, and jars do
 * not see each other. A jar's handlers are the classes its {@value #SERVICES} lists, found with
 * {@link ServiceLoader} and built with their public no-argument constructor.
 *
 * <p>A jar is taken whole or not at all. One that cannot be read, has no services file, lists a
 * class that is missing or is not a handler, has a handler whose constructor throws, whose type
 * name is invalid or already taken, or that the caller's check refuses, is named in the log with
 * the reason and left out; the other jars load as if it were not there, and the start goes on.
 *
 * <p>The class loaders read copies of the jars, made at start in a folder of their own: a jar
 * written over in the folder while Offload runs cannot change classes that are still to be
 * loaded under a running handler, and the new one is read at the next start or redeploy. {@link
 * #close} closes the class loaders (their open jar files) and deletes the copies, so a redeploy
 * leaves nothing behind; call it once the engine has stopped and the handlers are closed.
 */
public final class HandlerJars implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(HandlerJars.class.getName());

  /** Where a jar lists its handlers, one class name a line. */
  public static final String SERVICES = "META-INF/services/dev.offload.task.TaskHandler";

  /** The task types one jar brought. */
  public record Loaded(Path jar, List<String> types) {
    public Loaded {
      types = List.copyOf(types);
    }
  }

  /** A jar left out, and why (what the log says). */
  public record Skipped(Path jar, String reason) {}

  private final Path copies;
  private final List<URLClassLoader> loaders = new ArrayList<>();
  private final List<TaskHandler<?, ?>> handlers = new ArrayList<>();
  private final List<Loaded> loaded = new ArrayList<>();
  private final List<Skipped> skipped = new ArrayList<>();
  private boolean closed;

  private HandlerJars(Path copies) {
    this.copies = copies;
  }

  /**
   * Loads every {@code *.jar} file directly in {@code dir}, in the order of their names (so a
   * type that two jars bring goes to the same one every time).
   *
   * @param tempDir where the folder of copies is made (the container's temp directory of the
   *     web application)
   * @param parent the class loader each jar's loader asks first
   * @param taken the types offered already (the built-in ones): a jar that brings one is left
   *     out
   * @param check a look at each handler that throws to leave its jar out (the listener makes
   *     sure its example serialises, as {@code GET /api/types} will)
   * @throws UncheckedIOException when the folder cannot be listed or the copies' folder made
   */
  public static HandlerJars load(Path dir, Path tempDir, ClassLoader parent,
      Collection<String> taken, Consumer<? super TaskHandler<?, ?>> check) {
    List<Path> jars;
    try (Stream<Path> s = Files.list(dir)) {
      jars = s.filter(p -> p.getFileName().toString().endsWith(".jar"))
          // an editor's or a copy's hidden leftovers (.#x.jar, .x.jar.swp) are not jars to load
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the handler jars in " + dir, e);
    }
    HandlerJars result;
    try {
      result = new HandlerJars(Files.createTempDirectory(tempDir, "offload-handlers-"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make a folder for the handler jars in " + tempDir, e);
    }
    if (jars.isEmpty()) {
      LOG.info(() -> "Offload found no handler jars (*.jar) in " + dir);
    }
    Map<String, String> owners = new HashMap<>();
    taken.forEach(t -> owners.put(t, "a built-in type"));
    try {
      for (Path jar : jars) {
        result.load(jar, parent, owners, check);
      }
    } catch (RuntimeException | Error e) {
      // Only what no jar should cause gets here (an OutOfMemoryError): leave nothing open.
      result.close();
      throw e;
    }
    return result;
  }

  @SuppressWarnings("rawtypes")
  private void load(Path jar, ClassLoader parent, Map<String, String> owners,
      Consumer<? super TaskHandler<?, ?>> check) {
    String name = jar.getFileName().toString();
    Path copy = copies.resolve(name);
    try {
      Files.copy(jar, copy);
    } catch (IOException e) {
      skip(jar, "it cannot be copied (" + e + ")", e);
      return;
    }
    String unreadable = servicesProblem(copy);
    if (unreadable != null) {
      skip(jar, unreadable, null);
      return;
    }
    URLClassLoader loader = new URLClassLoader("offload-handlers:" + name, new URL[] {url(copy)},
        parent);
    List<TaskHandler<?, ?>> mine = new ArrayList<>();
    Map<String, String> types = new HashMap<>();
    try {
      Iterator<ServiceLoader.Provider<TaskHandler>> providers =
          ServiceLoader.load(TaskHandler.class, loader).stream().iterator();
      while (providers.hasNext()) {
        ServiceLoader.Provider<TaskHandler> p = providers.next();
        if (p.type().getClassLoader() != loader) {
          continue; // the WAR's own services file, seen through the parent
        }
        TaskHandler<?, ?> h = p.get();
        mine.add(h);
        String type = HandlerRegistry.checkedType(h);
        String owner = owners.containsKey(type) ? owners.get(type) : types.get(type);
        if (owner != null) {
          throw new Refused("type '" + type + "' of " + h.getClass().getName()
              + " is taken by " + owner);
        }
        if (h.inputType() == null) {
          throw new Refused(h.getClass().getName() + " names no input type");
        }
        check.accept(h);
        types.put(type, h.getClass().getName() + " of " + name);
      }
      if (mine.isEmpty()) {
        throw new Refused(SERVICES + " lists no class of this jar");
      }
    } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
      closeQuietly(mine);
      try {
        loader.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      skip(jar, e instanceof Refused ? e.getMessage() : describe(e),
          e instanceof Refused ? null : e);
      return;
    }
    List<String> names = mine.stream().map(TaskHandler::type).sorted().toList();
    loaders.add(loader);
    handlers.addAll(mine);
    names.forEach(t -> owners.put(t, types.get(t)));
    loaded.add(new Loaded(jar, names));
    LOG.info(() -> "Offload loaded task type" + (names.size() == 1 ? " " : "s ")
        + String.join(", ", names) + " from " + jar);
  }

  /** Why a jar cannot give handlers before any class of it is loaded; null when it may. */
  private static String servicesProblem(Path copy) {
    try (JarFile jar = new JarFile(copy.toFile(), false)) {
      return jar.getEntry(SERVICES) == null
          ? "it lists no handler: it has no " + SERVICES : null;
    } catch (IOException e) {
      return "it cannot be read as a jar (" + e.getMessage() + ")";
    }
  }

  private static URL url(Path file) {
    try {
      return file.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  private void skip(Path jar, String reason, Throwable cause) {
    skipped.add(new Skipped(jar, reason));
    LOG.log(Level.WARNING, cause, () -> "Offload left out the handler jar " + jar + ": " + reason
        + "; the other task types are offered");
  }

  /** The throwable and its causes in one line: the class a handler failed on is in there. */
  private static String describe(Throwable e) {
    StringBuilder b = new StringBuilder(e.toString());
    int depth = 0;
    for (Throwable c = e.getCause(); c != null && depth < 5; c = c.getCause(), depth++) {
      b.append("; caused by ").append(c);
    }
    return b.toString();
  }

  /** A handler of a jar left out may already own threads (it is AutoCloseable then). */
  private static void closeQuietly(List<TaskHandler<?, ?>> built) {
    for (TaskHandler<?, ?> h : built) {
      if (h instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception | LinkageError e) {
          LOG.log(Level.WARNING, "closing " + h.getClass().getName() + " failed", e);
        }
      }
    }
  }

  /** The handlers of every jar loaded, in the order of the jars. */
  public List<TaskHandler<?, ?>> handlers() {
    return List.copyOf(handlers);
  }

  /** The jars loaded and their types. */
  public List<Loaded> loaded() {
    return List.copyOf(loaded);
  }

  /** The jars left out and why. */
  public List<Skipped> skipped() {
    return List.copyOf(skipped);
  }

  /**
   * Closes the jars' class loaders and deletes the copies. A class of a jar not loaded by now
   * cannot be loaded afterwards: call this once nothing runs a handler. Safe to call twice.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (URLClassLoader l : loaders) {
      try {
        l.close();
      } catch (IOException e) {
        LOG.log(Level.WARNING, "closing the class loader " + l.getName() + " failed", e);
      }
    }
    try (Stream<Path> s = Files.list(copies)) {
      for (Path p : s.toList()) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(copies);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "could not delete the copies of the handler jars in " + copies, e);
    }
  }

  /** A jar refused for a reason of Offload's own, said in the message (no trace to log). */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message, null, false, false);
    }
  }
}
