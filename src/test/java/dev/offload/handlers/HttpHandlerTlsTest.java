package dev.offload.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.offload.engine.EngineConfig;
import dev.offload.engine.HandlerRegistry;
import dev.offload.engine.SubmitRequest;
import dev.offload.engine.TaskEngine;
import dev.offload.store.MemoryTaskStore;
import dev.offload.task.Task;
import dev.offload.task.TaskStatus;
import dev.offload.testing.LocalHttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS through the pinning egress proxy: the connection goes to the checked address
 * (127.0.0.1) while TLS still names the host of the URL, both in SNI and in the certificate
 * check. The server's certificate, made by the JDK's keytool for the test, is valid for
 * {@code pinned.test} only.
 */
class HttpHandlerTlsTest {
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir
  static Path dir;

  private static KeyStore keys;
  private static final List<String> sniSeen = new CopyOnWriteArrayList<>();
  private static LocalHttpServer server;
  private HttpHandler handler;
  private TaskEngine engine;

  @BeforeAll
  static void startServer() throws Exception {
    Path store = dir.resolve("pinned.p12");
    Process keytool = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "pinned", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=pinned.test", "-ext", "SAN=dns:pinned.test", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12",
        "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
        .redirectErrorStream(true).start();
    String out;
    try (InputStream in = keytool.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(out).isZero();
    keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(new X509ExtendedKeyManager[] {
        new SniRecorder((X509ExtendedKeyManager) kmf.getKeyManagers()[0])}, null, null);
    server = LocalHttpServer.startTls(serverTls);
    server.route("/hello", (ex, n) -> LocalHttpServer.send(ex, 200, "text/plain", "hi"));
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @AfterEach
  void stop() {
    if (engine != null) {
      engine.shutdown();
    }
    if (handler != null) {
      handler.close();
    }
  }

  private TaskEngine engine() throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keys);
    SSLContext clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, tmf.getTrustManagers(), null);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    handler = new HttpHandler(HttpHandler.Settings.defaults().withAllow(List.of("127.0.0.1")),
        host -> host.equals("pinned.test") ? List.of(loopback) : List.of(), Clock.systemUTC(),
        clientTls);
    EngineConfig d = EngineConfig.defaults();
    engine = TaskEngine.builder(new EngineConfig(1, 10, d.defaultTimeout(), d.maxTimeout(), 3,
            d.defaultResultTtl(), d.maxResultTtl(), d.maxDelay(), d.retryBase(), d.retryMax(),
            d.sweepInterval(), Duration.ZERO, d.abandonAfter(), d.lease()),
        new MemoryTaskStore(10, 100), new HandlerRegistry(List.of(handler))).build();
    engine.start();
    return engine;
  }

  private Task run(String url) {
    UUID id = engine.submit(new SubmitRequest("http", "{\"url\":\"" + url + "\"}", null, null,
        3L, null, null, null)).task().id();
    await().atMost(Duration.ofSeconds(20))
        .until(() -> engine.get(id).orElseThrow().attempts() >= 1
            && engine.get(id).orElseThrow().status() != TaskStatus.RUNNING);
    return engine.get(id).orElseThrow();
  }

  @Test
  void httpsGoesToThePinnedAddressWithTheOriginalNameInSniAndTheCertificateCheck()
      throws Exception {
    engine();
    sniSeen.clear();
    Task t = run("https://pinned.test:" + server.port() + "/hello");
    assertThat(t.status()).as("%s", t.error()).isEqualTo(TaskStatus.SUCCESS);
    assertThat(t.result()).contains("\"text\":\"hi\"");
    assertThat(sniSeen).containsOnly("pinned.test");
    assertThat(server.seen()).last().satisfies(
        s -> assertThat(s.header("Host")).isEqualTo("pinned.test:" + server.port()));
  }

  @Test
  void theCertificateIsCheckedAgainstTheUrlsHostNotTheAddressConnectedTo() throws Exception {
    engine();
    // The same server at its IP: its certificate names pinned.test only.
    Task t = run("https://127.0.0.1:" + server.port() + "/hello");
    assertThat(t.status()).isEqualTo(TaskStatus.FAILED);
    assertThat(t.attempts()).isEqualTo(1);
    assertThat(t.error().type()).isEqualTo("tls-error");
  }

  /** Records the SNI host names the server was asked for. */
  private static final class SniRecorder extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager delegate;

    SniRecorder(X509ExtendedKeyManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
      if (e.getHandshakeSession() instanceof ExtendedSSLSession s) {
        for (SNIServerName n : s.getRequestedServerNames()) {
          if (n instanceof SNIHostName h) {
            sniSeen.add(h.getAsciiName());
          }
        }
      }
      return delegate.chooseEngineServerAlias(keyType, issuers, e);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return delegate.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }
  }
}
