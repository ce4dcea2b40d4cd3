package dev.offload.testing;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Handler jars made by tests: from classes already compiled, or compiled here from sources. */
public final class Jars {
  public static final String SERVICES = "META-INF/services/dev.offload.task.TaskHandler";

  private Jars() {}

  /** Writes {@code jar} with a manifest and these entries (path in the jar -> content). */
  public static Path write(Path jar, Map<String, byte[]> entries) {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        jarOut.putNextEntry(new JarEntry(e.getKey()));
        jarOut.write(e.getValue());
        jarOut.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return jar;
  }

  /** A services file listing these handler classes, one a line, as a jar entry. */
  public static Map<String, byte[]> services(String... classNames) {
    return Map.of(SERVICES,
        (String.join("\n", classNames) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The class files of these classes and of every class nested in them (records, anonymous
   * classes: the members of each one's nest), read from the test class path, as jar entries.
   */
  public static Map<String, byte[]> classes(Class<?>... types) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    for (Class<?> type : types) {
      for (Class<?> c : type.getNestMembers()) {
        String path = c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.getClassLoader().getResourceAsStream(path)) {
          if (in == null) {
            throw new IllegalStateException("no class file " + path + " on the class path");
          }
          entries.put(path, in.readAllBytes());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return entries;
  }

  /** Every file under {@code root} as jar entries, by their path below it. */
  public static Map<String, byte[]> tree(Path root) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        entries.put(root.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  /** Several entry maps as one, in order. */
  @SafeVarargs
  public static Map<String, byte[]> merge(Map<String, byte[]>... parts) {
    Map<String, byte[]> all = new LinkedHashMap<>();
    Arrays.stream(parts).forEach(all::putAll);
    return all;
  }

  /**
   * Compiles every {@code .java} file under {@code sources} with the JDK's compiler for Java 17,
   * against {@code classpath} alone (not the test's class path: what the sources need must be
   * there), into {@code out}. Fails with the compiler's messages.
   */
  public static void compile(Path sources, List<Path> classpath, Path out) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new IllegalStateException("no Java compiler in " + System.getProperty("java.home")
          + ": run the tests on a JDK");
    }
    List<String> files;
    try (Stream<Path> s = Files.walk(sources)) {
      files = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).sorted()
          .toList();
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no .java files under " + sources);
    }
    List<String> args = new ArrayList<>(List.of("--release", "17", "-Xlint:all",
        "-Werror", "-implicit:none", "-d", out.toString(),
        "-classpath", classpath.stream().map(Path::toString)
            .collect(Collectors.joining(File.pathSeparator))));
    args.addAll(files);
    ByteArrayOutputStream messages = new ByteArrayOutputStream();
    int status = javac.run(null, messages, messages, args.toArray(String[]::new));
    if (status != 0) {
      throw new IllegalStateException("javac failed on " + sources + ":\n"
          + messages.toString(StandardCharsets.UTF_8));
    }
  }
}
