package dev.offload.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted SMTP server on 127.0.0.1 and a free port, for the replies a real server gives
 * only when something is wrong (451, 550). It speaks just enough SMTP for Jakarta Mail:
 * greeting, EHLO, MAIL, RCPT, DATA, QUIT; {@link Script} chooses the reply to RCPT and to the
 * end of DATA per connection. One connection at a time, on one thread it owns.
 */
public final class FakeSmtpServer implements AutoCloseable {

  /** The reply to a command on the n-th connection (1-based); null for the usual one. */
  @FunctionalInterface
  public interface Script {
    String reply(int connection, String command);
  }

  private final ServerSocket server;
  private final Script script;
  private final Thread thread;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private volatile boolean closed;
  private volatile Socket current;

  public FakeSmtpServer(Script script) {
    this.script = script;
    try {
      this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.thread = new Thread(this::serve, "test-fake-smtp");
    thread.setDaemon(true);
    thread.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public int connections() {
    return connections.get();
  }

  /** Every command received, upper-cased verb first (MAIL FROM:<...>, RCPT TO:<...>, ...). */
  public List<String> commands() {
    return List.copyOf(commands);
  }

  private void serve() {
    while (!closed) {
      try (Socket s = server.accept()) {
        current = s;
        int n = connections.incrementAndGet();
        converse(s, n);
      } catch (IOException e) {
        if (!closed) {
          commands.add("! " + e);
        }
      }
    }
  }

  private void converse(Socket s, int n) throws IOException {
    s.setSoTimeout(10_000);
    BufferedReader in = new BufferedReader(
        new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    OutputStream out = s.getOutputStream();
    send(out, "220 fake.test ESMTP");
    String line;
    while ((line = in.readLine()) != null) {
      commands.add(line);
      String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
      String scripted = script.reply(n, verb);
      switch (verb) {
        case "EHLO", "HELO" -> send(out, "250 fake.test");
        case "MAIL", "RSET", "NOOP" -> send(out, scripted != null ? scripted : "250 OK");
        case "RCPT" -> send(out, scripted != null ? scripted : "250 OK");
        case "DATA" -> {
          send(out, "354 go ahead");
          String body;
          while ((body = in.readLine()) != null && !body.equals(".")) {
            // The message itself is not needed.
          }
          String end = script.reply(n, "END-OF-DATA");
          send(out, end != null ? end : "250 queued");
        }
        case "QUIT" -> {
          send(out, "221 bye");
          return;
        }
        default -> send(out, "502 not implemented");
      }
    }
  }

  private static void send(OutputStream out, String reply) throws IOException {
    out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
      Socket s = current;
      if (s != null) {
        s.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      throw new IllegalStateException("the fake SMTP server's thread did not stop");
    }
  }
}
