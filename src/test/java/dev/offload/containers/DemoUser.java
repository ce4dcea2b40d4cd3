package dev.offload.containers;

import dev.offload.testing.Http;

/**
 * The demo users of jetty-base/etc/offload-realm.properties, with their passwords in clear. The
 * Jetty distribution reads that file as it is in the repository; a Tomcat base gets a
 * tomcat-users.xml written from this list ({@link TomcatBase}). So the same credentials, and
 * the same assertions, hold in every container.
 */
enum DemoUser {
  ALICE("alice", "offload-user"),
  BOB("bob", "offload-user"),
  VERA("vera", "offload-viewer"),
  ADAM("adam", "offload-admin"),
  PROMETHEUS("prometheus", "offload-metrics");

  private final String username;
  private final String role;

  DemoUser(String username, String role) {
    this.username = username;
    this.role = role;
  }

  String username() {
    return username;
  }

  /** The README's demo password: the name and "-pw". */
  String password() {
    return username + "-pw";
  }

  String role() {
    return role;
  }

  /** {@code http} sending this user's credentials. */
  Http on(Http http) {
    return http.withBasic(username, password());
  }
}
