package dev.offload.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.offload.testing.LocalHttpServer;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The egress proxy connects only where a running request pinned a checked address. */
class EgressProxyTest {

  @Test
  void theProxyConnectsNowhereThatNoRequestPinned() throws Exception {
    try (LocalHttpServer server = LocalHttpServer.start()) {
      EgressProxy proxy =
          new EgressProxy("offload-test", Duration.ofSeconds(2), Duration.ofSeconds(5), 4);
      try (Socket s = new Socket(proxy.address().getAddress(), proxy.address().getPort())) {
        s.getOutputStream().write(("CONNECT 127.0.0.1:" + server.port() + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1:" + server.port() + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(10_000);
        assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
      } finally {
        proxy.close();
      }
      try (EgressProxy pinned =
              new EgressProxy("offload-test", Duration.ofSeconds(2), Duration.ofSeconds(5), 4);
          EgressProxy.Pin pin = pinned.pin("127.0.0.1", server.port(),
              List.of(InetAddress.getByName("127.0.0.1")));
          Socket s = new Socket(pinned.address().getAddress(), pinned.address().getPort())) {
        s.getOutputStream().write(("CONNECT 127.0.0.1:" + server.port() + " HTTP/1.1\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(10_000);
        byte[] answer = new byte[12];
        assertThat(s.getInputStream().readNBytes(answer, 0, 12)).isEqualTo(12);
        assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
        assertThat(pin.failure()).isEmpty();
      }
    }
  }
}
