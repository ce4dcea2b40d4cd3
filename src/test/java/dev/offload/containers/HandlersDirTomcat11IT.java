package dev.offload.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A handler jar in a real Tomcat 11, the folder named by a context parameter of the context file
 * (conf/Catalina/localhost/offload.xml), as the README tells Tomcat users; alice signs in
 * through the base's realm; stopped by SIGTERM.
 */
class HandlersDirTomcat11IT extends HandlersDirContract {
  private TomcatBase tomcat;

  @Override
  ContainerProcess launch(String label, Path handlersDir) {
    tomcat = new TomcatBase("tomcat11-" + label, Distributions.tomcat11Home());
    return tomcat.contextFile(Map.of("offload.handlers.dir", handlersDir.toString())).start();
  }

  /** No offload.types here: the jar's type joins every type the WAR has. */
  @Override
  void assertTypes(Set<String> offered) {
    assertThat(offered).containsExactlyInAnyOrder("noop", "sleep", "pbkdf2", "http",
        "word-count");
  }

  @Override
  Path containerTemp() {
    return tomcat.base().resolve("work");
  }
}
