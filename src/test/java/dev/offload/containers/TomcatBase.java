package dev.offload.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A CATALINA_BASE of its own under target/ for one real Tomcat (10.1 or 11) distribution: the
 * distribution's conf files, a server.xml on a free port with the distribution's realm (the
 * UserDatabaseRealm over conf/tomcat-users.xml) reading SHA-256 hashed passwords, the
 * {@link DemoUser}s in that file, and Offload deployed either by a context file
 * (conf/Catalina/localhost/offload.xml, whose docBase is the built WAR) or by dropping the WAR into webapps/. Started with the distribution's own {@code catalina.sh run}.
 */
final class TomcatBase {
  private final String name;
  private final Path home;
  private final Path base;
  private final int port = ContainerProcess.freePort();
  private final Map<String, String> systemProperties = new TreeMap<>();

  TomcatBase(String name, Path home) {
    this.name = name;
    this.home = home;
    this.base = Distributions.workDir(name).resolve("base");
    try {
      for (String dir : new String[] {"conf", "webapps", "logs", "temp", "work", "bin"}) {
        Files.createDirectories(base.resolve(dir));
      }
      for (String f : new String[] {"catalina.properties", "context.xml", "logging.properties",
          "web.xml"}) {
        Files.copy(home.resolve("conf").resolve(f), base.resolve("conf").resolve(f));
      }
      Files.writeString(base.resolve("conf/server.xml"), serverXml(port));
      Files.writeString(base.resolve("conf/tomcat-users.xml"), tomcatUsersXml());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A server.xml like the distribution's, on a loopback port with no shutdown port, a request
   * pool of fixed size (so the live thread count only moves when a web application starts or
   * leaves threads), and a host that notices a changed WAR within a second. The realm is the
   * distribution's (a LockOutRealm around the UserDatabaseRealm of conf/tomcat-users.xml) with
   * the one line the README adds: a CredentialHandler, so the file holds hashes, not passwords.
   */
  private static String serverXml(int port) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <Server port="-1" shutdown="SHUTDOWN">
          <Listener className="org.apache.catalina.startup.VersionLoggerListener"/>
          <Listener className="org.apache.catalina.core.JreMemoryLeakPreventionListener"/>
          <Listener className="org.apache.catalina.mbeans.GlobalResourcesLifecycleListener"/>
          <Listener className="org.apache.catalina.core.ThreadLocalLeakPreventionListener"/>
          <GlobalNamingResources>
            <Resource name="UserDatabase" auth="Container"
                      type="org.apache.catalina.UserDatabase"
                      factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
                      pathname="conf/tomcat-users.xml"/>
          </GlobalNamingResources>
          <Service name="Catalina">
            <Executor name="http-exec" namePrefix="http-exec-" maxThreads="16"
                      minSpareThreads="16"/>
            <Connector executor="http-exec" address="127.0.0.1" port="%d" protocol="HTTP/1.1"
                       connectionTimeout="20000"/>
            <Engine name="Catalina" defaultHost="localhost" backgroundProcessorDelay="1">
              <Realm className="org.apache.catalina.realm.LockOutRealm">
                <Realm className="org.apache.catalina.realm.UserDatabaseRealm"
                       resourceName="UserDatabase">
                  <CredentialHandler
                      className="org.apache.catalina.realm.MessageDigestCredentialHandler"
                      algorithm="SHA-256"/>
                </Realm>
              </Realm>
              <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="true"/>
            </Engine>
          </Service>
        </Server>
        """.formatted(port);
  }

  /**
   * Offload's roles and the {@link DemoUser}s, each password hashed by the distribution's own
   * {@code bin/digest.sh} (salted SHA-256, the command the README gives), so the test also
   * proves that command's output is what the realm of {@link #serverXml} accepts.
   */
  private String tomcatUsersXml() throws IOException {
    List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/digest.sh").toString(),
        "-a", "SHA-256", "-h", "org.apache.catalina.realm.MessageDigestCredentialHandler"));
    for (DemoUser u : DemoUser.values()) {
      cmd.add(u.password());
    }
    Path digests = base.resolve("temp/digest.out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(digests.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("JAVA_OPTS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("digest.sh did not end within 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    String out = Files.readString(digests, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException("digest.sh failed:\n" + out);
    }
    StringBuilder xml = new StringBuilder("""
        <?xml version="1.0" encoding="UTF-8"?>
        <tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
          <role rolename="offload-user"/>
          <role rolename="offload-viewer"/>
          <role rolename="offload-admin"/>
          <role rolename="offload-metrics"/>
        """);
    for (DemoUser u : DemoUser.values()) {
      // digest.sh prints "password:salt$iterations$hash", one line per password given.
      String hash = out.lines().filter(l -> l.startsWith(u.password() + ":"))
          .map(l -> l.substring(u.password().length() + 1))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no hash of " + u + " in:\n" + out));
      xml.append("  <user username=\"").append(u.username()).append("\" password=\"")
          .append(hash).append("\" roles=\"").append(u.role()).append("\"/>\n");
    }
    return xml.append("</tomcat-users>\n").toString();
  }

  /**
   * Deploys the built WAR where it lies, at /offload, by a context file that sets Offload's
   * settings as context parameters (the way the README tells Tomcat users to configure it).
   */
  TomcatBase contextFile(Map<String, String> parameters) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<Context docBase=\"").append(Distributions.war()).append("\">\n");
    parameters.forEach((k, v) -> xml.append("  <Parameter name=\"").append(k)
        .append("\" value=\"").append(v).append("\" override=\"false\"/>\n"));
    xml.append("</Context>\n");
    try {
      Path dir = Files.createDirectories(base.resolve("conf/Catalina/localhost"));
      Files.writeString(dir.resolve("offload.xml"), xml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Settings passed as -D system properties through bin/setenv.sh in the base. */
  TomcatBase systemProperty(String key, String value) {
    systemProperties.put(key, value);
    return this;
  }

  /**
   * Puts (or replaces) webapps/offload.war with a byte-for-byte copy of the built WAR, moved in
   * at once so Tomcat never sees half a file; a replaced WAR has a new modification time, which
   * makes a running Tomcat undeploy the old application and deploy the new one.
   */
  void dropInWar() {
    try {
      Path staged = base.resolve("temp/offload.war.staged");
      Files.copy(Distributions.war(), staged, StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(staged, FileTime.fromMillis(System.currentTimeMillis()));
      Files.move(staged, base.resolve("webapps/offload.war"),
          StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes webapps/offload.war: a running Tomcat undeploys the application. */
  void removeWar() {
    try {
      Files.delete(base.resolve("webapps/offload.war"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** This CATALINA_BASE (its work/ holds each web application's temp directory). */
  Path base() {
    return base;
  }

  ContainerProcess start() {
    StringBuilder opts = new StringBuilder("-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    systemProperties.forEach((k, v) -> opts.append(" -D").append(k).append('=').append(v));
    try {
      Files.writeString(base.resolve("bin/setenv.sh"),
          "CATALINA_OPTS=\"" + opts + "\"\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/catalina.sh").toString(), "run")
        .directory(base.toFile());
    Map<String, String> env = pb.environment();
    for (String inherited : new String[] {"JAVA_OPTS", "CATALINA_OPTS", "JDK_JAVA_OPTIONS",
        "JAVA_TOOL_OPTIONS", "JRE_HOME", "CATALINA_OUT", "CATALINA_PID"}) {
      env.remove(inherited);
    }
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("CATALINA_HOME", home.toString());
    env.put("CATALINA_BASE", base.toString());
    env.put("CATALINA_TMPDIR", base.resolve("temp").toString());
    return ContainerProcess.start(name, pb, base.resolve("logs"), port);
  }
}
