package dev.offload.outbound;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A forward proxy inside the JVM, listening on the loopback interface only, through which an
 * {@link OutboundHttp} client (the {@code http} task type's, the webhook deliverer's) opens every
 * connection.
 *
 * <p>Why it exists: the JDK 17 HttpClient resolves host names itself and has no hook to choose
 * the address it connects to (the resolver SPI arrived in Java 18, and is JVM-wide), so checking
 * a name's addresses before a request would not bind the connection that follows: a name public
 * at the check and private a moment later (DNS rebinding) would get through. Rewriting the URL
 * to the checked IP is no way out either: the client refuses to set {@code Host}, and for HTTPS
 * it would send no SNI and check the certificate against the IP.
 *
 * <p>So the client resolves the name, checks every address, and {@link #pin pins} the checked
 * addresses for that host and port while its request runs; this proxy connects to a pinned
 * address and to nothing else: it never resolves a name, and a connection for a host and port
 * that no running request pinned is refused. HTTPS comes as {@code CONNECT host:port}: the
 * proxy opens the TCP connection and then only copies bytes, so TLS runs end to end between
 * the HttpClient and the server, and SNI and the certificate check use the original name.
 * Plain HTTP comes in absolute form; the proxy forwards it in origin form with
 * {@code Connection: close} both ways, so the client never reuses a proxy connection (which it
 * would, for any host) for a second request.
 *
 * <p>Threads, named after the owner ({@code offload-http}, {@code offload-webhook}): {@code
 * <name>-proxy} accepts; each connection takes two threads of the pool {@code <name>-pipe-N}
 * (one per direction) while it is open, at most {@code
 * maxConnections} connections at once. A tunnel the client keeps for reuse is closed after
 * {@code idle} without a byte either way; when the proxy is full, the connection idle longest
 * whose host no running request has pinned is closed to make room.
 */
final class EgressProxy implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EgressProxy.class.getName());
  private static final int MAX_HEAD = 64 * 1024;
  private static final int MAX_ADDRESSES_TRIED = 4;
  private static final byte[] CRLF = {'\r', '\n'};

  private final Duration connectTimeout;
  private final Duration idle;
  private final int maxConnections;
  private final ServerSocket server;
  private final String name;
  private final OutboundThreads pipeThreads;
  private final ThreadPoolExecutor pipes;
  private final Thread acceptor;
  private final Map<String, List<Pin>> pins = new HashMap<>(); // guarded by itself
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Binds an ephemeral port on the loopback interface and starts accepting.
   *
   * @param name the owner's name, the prefix of the threads' names ({@code offload-http})
   * @param connectTimeout per address tried
   * @param idle how long a connection may carry no byte before it is closed; at least the
   *     longest request timeout, so a slow server is not cut off mid-request
   */
  EgressProxy(String name, Duration connectTimeout, Duration idle, int maxConnections)
      throws IOException {
    this.name = name;
    this.pipeThreads = new OutboundThreads(name + "-pipe-");
    this.connectTimeout = connectTimeout;
    this.idle = idle;
    this.maxConnections = maxConnections;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.pipes = new ThreadPoolExecutor(0, 2 * maxConnections, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), pipeThreads);
    this.acceptor = new Thread(this::acceptLoop, name + "-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Where the HttpClient reaches the proxy. */
  InetSocketAddress address() {
    return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
  }

  /**
   * Lets the proxy connect to {@code host:port}, at these (checked) addresses only, until the
   * pin is closed. Several requests may pin the same host at once; the proxy then may use any
   * of their addresses, all of them checked.
   */
  Pin pin(String host, int port, List<InetAddress> addresses) {
    Pin p = new Pin(key(host, port), host, port, List.copyOf(addresses));
    synchronized (pins) {
      pins.computeIfAbsent(p.key, k -> new ArrayList<>()).add(p);
    }
    return p;
  }

  /** The proxy's record of one request's destination. */
  final class Pin implements AutoCloseable {
    private final String key;
    private final String host;
    private final int port;
    private final List<InetAddress> addresses;
    private volatile Failure failure;

    private Pin(String key, String host, int port, List<InetAddress> addresses) {
      this.key = key;
      this.host = host;
      this.port = port;
      this.addresses = addresses;
    }

    /** Why the proxy could not connect for this destination, when it could not. */
    Optional<Failure> failure() {
      return Optional.ofNullable(failure);
    }

    @Override
    public void close() {
      synchronized (pins) {
        List<Pin> list = pins.get(key);
        if (list != null && list.remove(this) && list.isEmpty()) {
          pins.remove(key);
        }
      }
    }
  }

  /** Why a connection could not be opened: {@code timeout} or {@code connect-error}. */
  record Failure(String type, String message) {}

  private static String key(String host, int port) {
    String h = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    return AddressRules.normalizeName(h) + ":" + port;
  }

  private List<Pin> pinsFor(String key) {
    synchronized (pins) {
      return List.copyOf(pins.getOrDefault(key, List.of()));
    }
  }

  // ---------------------------------------------------------------- accepting

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        LOG.log(Level.WARNING, "the egress proxy " + name + " could not accept a connection", e);
        // Out of file descriptors, say: do not spin.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        continue;
      }
      Connection c = new Connection(client);
      if (!admit(c)) {
        LOG.warning(() -> "the egress proxy " + name + " is full (" + maxConnections
            + " connections); one was refused");
        closeQuietly(client);
        continue;
      }
      try {
        pipes.execute(c::serve);
      } catch (RejectedExecutionException e) {
        c.close();
      }
    }
  }

  private boolean admit(Connection c) {
    if (open.size() >= maxConnections) {
      long now = System.nanoTime();
      open.stream()
          .filter(o -> o.key != null && pinsFor(o.key).isEmpty()
              && now - o.lastActivity > TimeUnit.SECONDS.toNanos(1))
          .min(Comparator.comparingLong(o -> o.lastActivity))
          .ifPresent(Connection::close);
    }
    if (open.size() >= maxConnections) {
      return false;
    }
    open.add(c);
    return true;
  }

  // ---------------------------------------------------------------- one connection

  /** One client connection and, once routed, its upstream socket. */
  private final class Connection {
    private final Socket client;
    private volatile Socket upstream;
    private volatile String key;
    private volatile long lastActivity = System.nanoTime();

    Connection(Socket client) {
      this.client = client;
    }

    void serve() {
      try {
        client.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
        InputStream fromClient = new BufferedInputStream(client.getInputStream());
        List<String> head = readHead(fromClient);
        if (head == null) {
          return;
        }
        String[] line = head.get(0).split(" ");
        if (line.length != 3) {
          throw new IOException("not an HTTP request line");
        }
        boolean tunnel = line[0].equals("CONNECT");
        String host;
        int port;
        URI target = null;
        if (tunnel) {
          int colon = line[1].lastIndexOf(':');
          if (colon < 0) {
            throw new IOException("CONNECT without a port");
          }
          host = line[1].substring(0, colon);
          port = Integer.parseInt(line[1].substring(colon + 1));
        } else {
          try {
            target = new URI(line[1]);
          } catch (URISyntaxException e) {
            throw new IOException("not an absolute URI: " + e.getMessage(), e);
          }
          if (!"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
            throw new IOException("a plain request that is not absolute http");
          }
          host = target.getHost();
          port = target.getPort() == -1 ? 80 : target.getPort();
        }
        key = EgressProxy.key(host, port);
        List<Pin> live = pinsFor(key);
        if (live.isEmpty()) {
          // The handler pins before every request: this is not from it, or came too late.
          LOG.warning(() -> "the egress proxy " + name + " refused a connection to " + key
              + ", which no running request has checked");
          return;
        }
        upstream = connect(live, host, port);
        if (upstream == null) {
          return;
        }
        upstream.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
        OutputStream toClient = client.getOutputStream();
        OutputStream toUpstream = upstream.getOutputStream();
        if (tunnel) {
          toClient.write("HTTP/1.1 200 Connection Established\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          toClient.flush();
        } else {
          toUpstream.write(originRequest(line, target, head));
          toUpstream.flush();
        }
        InputStream fromUpstream = new BufferedInputStream(upstream.getInputStream());
        try {
          pipes.execute(() -> pipe(fromClient, toUpstream));
        } catch (RejectedExecutionException e) {
          return;
        }
        if (!tunnel) {
          forwardResponseHead(fromUpstream, toClient);
        }
        pipe(fromUpstream, toClient);
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          LOG.log(Level.FINE, "egress proxy " + name + ": a connection ended", e);
        }
      } finally {
        close();
      }
    }

    private Socket connect(List<Pin> live, String host, int port) {
      Set<InetAddress> addresses = new LinkedHashSet<>();
      live.forEach(p -> addresses.addAll(p.addresses));
      Failure failure = null;
      int tried = 0;
      for (InetAddress a : addresses) {
        if (tried++ == MAX_ADDRESSES_TRIED) {
          break;
        }
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(a, port), (int) connectTimeout.toMillis());
          return s;
        } catch (SocketTimeoutException e) {
          failure = new Failure("timeout", "no connection to " + host + ":" + port
              + " within " + connectTimeout.toSeconds() + " s");
        } catch (ConnectException e) {
          failure = new Failure("connect-error",
              "connection to " + host + ":" + port + " refused");
        } catch (IOException e) {
          failure = new Failure("connect-error", "cannot connect to " + host + ":" + port
              + " (" + OutboundHttp.describe(e, "I/O error") + ")");
        }
        closeQuietly(s);
      }
      Failure f = failure;
      live.forEach(p -> p.failure = f);
      return null;
    }

    /** Copies until either side ends or the connection was idle for too long. */
    private void pipe(InputStream in, OutputStream out) {
      byte[] buf = new byte[16 * 1024];
      try {
        while (true) {
          int n;
          try {
            n = in.read(buf);
          } catch (SocketTimeoutException e) {
            if (System.nanoTime() - lastActivity >= idle.toNanos()) {
              return;
            }
            continue; // the other direction is busy
          }
          if (n < 0) {
            return;
          }
          lastActivity = System.nanoTime();
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // The other side closed: the normal end of a proxied connection.
      } finally {
        close();
      }
    }

    void close() {
      open.remove(this);
      closeQuietly(client);
      Socket up = upstream;
      if (up != null) {
        closeQuietly(up);
      }
    }
  }

  // ---------------------------------------------------------------- plain HTTP

  /** The request in origin form, hop-by-hop headers replaced by {@code Connection: close}. */
  private static byte[] originRequest(String[] line, URI target, List<String> head) {
    String path = target.getRawPath() == null || target.getRawPath().isEmpty()
        ? "/" : target.getRawPath();
    if (target.getRawQuery() != null) {
      path += "?" + target.getRawQuery();
    }
    List<String> headers = endToEnd(head.subList(1, head.size()));
    if (headers.stream().noneMatch(h -> name(h).equals("host"))) {
      headers.add(0, "Host: " + target.getRawAuthority());
    }
    return headBytes(line[0] + " " + path + " " + line[2], headers);
  }

  /**
   * Forwards the response head with {@code Connection: close}; interim 1xx heads are passed on
   * and the next one read.
   */
  private static void forwardResponseHead(InputStream in, OutputStream out) throws IOException {
    while (true) {
      List<String> head = readHead(in);
      if (head == null) {
        throw new IOException("the server closed without an answer");
      }
      String[] status = head.get(0).split(" ", 3);
      int code = status.length > 1 && status[1].matches("\\d{3}")
          ? Integer.parseInt(status[1]) : -1;
      boolean interim = code >= 100 && code < 200 && code != 101;
      List<String> headers = interim ? head.subList(1, head.size())
          : endToEnd(head.subList(1, head.size()));
      out.write(headBytes(head.get(0), headers));
      out.flush();
      if (!interim) {
        return;
      }
    }
  }

  /** Drops the hop-by-hop headers (and those Connection names) and adds Connection: close. */
  private static List<String> endToEnd(List<String> headers) {
    Set<String> hop = new java.util.HashSet<>(
        Set.of("connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
            "trailer", "upgrade"));
    for (String h : headers) {
      if (name(h).equals("connection")) {
        for (String token : value(h).split(",")) {
          hop.add(token.trim().toLowerCase(Locale.ROOT));
        }
      }
    }
    List<String> kept = new ArrayList<>();
    for (String h : headers) {
      if (!hop.contains(name(h))) {
        kept.add(h);
      }
    }
    kept.add("Connection: close");
    return kept;
  }

  private static String name(String header) {
    int colon = header.indexOf(':');
    return (colon < 0 ? header : header.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
  }

  private static String value(String header) {
    int colon = header.indexOf(':');
    return colon < 0 ? "" : header.substring(colon + 1).trim();
  }

  private static byte[] headBytes(String first, List<String> headers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(first.getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(CRLF);
    for (String h : headers) {
      out.writeBytes(h.getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(CRLF);
    }
    out.writeBytes(CRLF);
    return out.toByteArray();
  }

  /**
   * Reads a head up to the empty line, without reading past it (the stream is buffered, and
   * what follows is copied as it is). Null when the stream ends before a byte was read.
   */
  private static List<String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    List<String> lines = new ArrayList<>();
    int total = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (total == 0) {
          return null;
        }
        throw new IOException("the head ended early");
      }
      if (++total > MAX_HEAD) {
        throw new IOException("a head of more than " + MAX_HEAD + " bytes");
      }
      if (b == '\n') {
        String l = line.toString(StandardCharsets.ISO_8859_1);
        if (l.endsWith("\r")) {
          l = l.substring(0, l.length() - 1);
        }
        line.reset();
        if (l.isEmpty()) {
          if (lines.isEmpty()) {
            continue; // a stray empty line before the head is allowed
          }
          return lines;
        }
        lines.add(l);
      } else {
        line.write(b);
      }
    }
  }

  // ---------------------------------------------------------------- stopping

  /** Stops accepting, closes every connection and waits (bounded) for the threads to end. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(server);
    for (Connection c : List.copyOf(open)) {
      c.close();
    }
    try {
      acceptor.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (acceptor.isAlive() || !pipeThreads.stop(pipes, 2_000)) {
      LOG.warning("the threads of the egress proxy " + name + " did not stop within 2 s");
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // Closing to free it; there is nothing left to tell anyone.
    }
  }
}
