package dev.offload.containers;

import dev.offload.task.Task;
import java.nio.file.Path;
import java.util.Map;

/**
 * A handler jar in a real Tomcat 11, the folder named by a context parameter of the context file
 * (conf/Catalina/localhost/offload.xml), as the README tells Tomcat users; stopped by SIGTERM.
 */
class HandlersDirTomcat11IT extends HandlersDirContract {
  private TomcatBase tomcat;

  @Override
  ContainerProcess launch(String label, Path handlersDir) {
    tomcat = new TomcatBase("tomcat11-" + label, Distributions.tomcat11Home());
    // The test Tomcat base has no realm yet (another change gives TomcatBase one and makes the
    // container tests sign in): until it lands this test runs without login. What it is about,
    // the handler jar, does not depend on who calls; the Jetty test signs in as alice.
    return tomcat.contextFile(Map.of("offload.handlers.dir", handlersDir.toString(),
            "offload.auth", "none"))
        .start();
  }

  @Override
  String authorization() {
    return null;
  }

  @Override
  String owner() {
    return Task.ANONYMOUS;
  }

  @Override
  Path containerTemp() {
    return tomcat.base().resolve("work");
  }
}
