package dev.offload.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffloadListenerTest {

  @Test
  void withoutJndiOffloadRunsOnItsOwnThreads() {
    // A plain JVM, like Jetty or Tomcat, binds no java:comp/DefaultManagedExecutorService.
    assertThat(OffloadListener.lookupManagedExecutor()).isEmpty();
  }
}
