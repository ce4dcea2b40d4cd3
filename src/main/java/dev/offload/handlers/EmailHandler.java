package dev.offload.handlers;

import dev.offload.outbound.OutboundThreads;
import dev.offload.task.InvalidInputException;
import dev.offload.task.TaskContext;
import dev.offload.task.TaskFailedException;
import dev.offload.task.TaskHandler;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * The {@code email} task type: sends one message through the SMTP server of the settings, with
 * Jakarta Mail (Eclipse Angus). Registered only when {@code offload.smtp.host} is set.
 *
 * <p>A 4xx SMTP reply, a refused connection or a timeout is retried; a 5xx reply fails for good
 * with {@code smtp-<code>}. Addresses are parsed strictly and no header field may hold a line
 * break, so an input cannot add headers (or recipients) of its own.
 *
 * <p>Owns one thread, {@code offload-smtp-write-timeout-1}, that Angus uses to abort a write
 * stuck longer than the timeout (otherwise it would start a thread per connection); {@link
 * #close} stops it.
 */
public final class EmailHandler implements TaskHandler<EmailHandler.Input, EmailHandler.Result>,
    AutoCloseable {
  private static final Logger LOG = Logger.getLogger(EmailHandler.class.getName());

  static final int MAX_RECIPIENTS = 100;
  static final int MAX_SUBJECT = 998; // the longest line RFC 5322 allows
  static final int MAX_BODY = 1_000_000;
  private static final int MAX_ADDRESS = 320;
  private static final Pattern REPLY_CODE = Pattern.compile("(?:^|\\D)([2-5]\\d\\d)[ -]");

  /** How the connection to the SMTP server is protected. */
  public enum Tls {
    /** Plain SMTP (a relay on the same host or network). */
    NONE,
    /** STARTTLS, required: a server that does not offer it is an error, not a downgrade. */
    STARTTLS,
    /** TLS from the first byte (SMTPS, usually port 465). */
    TLS
  }

  /**
   * The SMTP server and the sender.
   *
   * @param user null for no authentication
   * @param password never logged: see {@link #toString}
   * @param from the sender of every message (From and the envelope)
   * @param timeoutSeconds for connecting, each read and each write
   */
  public record Settings(String host, int port, Tls tls, String user, String password,
      String from, int timeoutSeconds) {

    public Settings {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host is required");
      }
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("port must be within 1..65535");
      }
      if (tls == null) {
        throw new IllegalArgumentException("tls is required");
      }
      if (timeoutSeconds < 1) {
        throw new IllegalArgumentException("timeoutSeconds must be at least 1");
      }
      try {
        address(from);
      } catch (InvalidInputException e) {
        throw new IllegalArgumentException("from: " + e.getMessage());
      }
    }

    /** The usual port of each TLS mode: 25, 587 or 465. */
    public static int defaultPort(Tls tls) {
      return switch (tls) {
        case NONE -> 25;
        case STARTTLS -> 587;
        case TLS -> 465;
      };
    }

    /** The password never appears in logs. */
    @Override
    public String toString() {
      return "SmtpSettings[host=" + host + ", port=" + port + ", tls="
          + tls.name().toLowerCase(Locale.ROOT) + ", user=" + user + ", password="
          + (password == null ? "none" : "***") + ", from=" + from + ", timeoutSeconds="
          + timeoutSeconds + "]";
    }
  }

  /** One message: {@code to} (one or more), {@code cc}, {@code bcc}, a subject, text and/or HTML. */
  @JsonbPropertyOrder({"to", "cc", "bcc", "subject", "text", "html"})
  public record Input(List<String> to, List<String> cc, List<String> bcc, String subject,
      String text, String html) {}

  /** What the server accepted: the message's Message-ID and how many recipients it had. */
  @JsonbPropertyOrder({"messageId", "recipients"})
  public record Result(String messageId, int recipients) {}

  private final Settings settings;
  private final Session session;
  private final OutboundThreads threads = new OutboundThreads("offload-smtp-write-timeout-");
  private final ScheduledThreadPoolExecutor writeTimeouts;

  public EmailHandler(Settings settings) {
    this.settings = settings;
    this.writeTimeouts = new ScheduledThreadPoolExecutor(1, threads);
    writeTimeouts.setRemoveOnCancelPolicy(true);
    this.session = Session.getInstance(properties(settings, writeTimeouts));
  }

  private static Properties properties(Settings s, ScheduledThreadPoolExecutor writeTimeouts) {
    Properties p = new Properties();
    String millis = Long.toString(TimeUnit.SECONDS.toMillis(s.timeoutSeconds()));
    p.setProperty("mail.smtp.host", s.host());
    p.setProperty("mail.smtp.port", Integer.toString(s.port()));
    p.setProperty("mail.smtp.connectiontimeout", millis);
    p.setProperty("mail.smtp.timeout", millis);
    p.setProperty("mail.smtp.writetimeout", millis);
    p.put("mail.smtp.executor.writetimeout", writeTimeouts);
    try {
      // The envelope sender is the bare address; From keeps the display name.
      p.setProperty("mail.smtp.from", new InternetAddress(s.from(), true).getAddress());
    } catch (AddressException e) {
      throw new IllegalArgumentException("from: " + e.getMessage(), e);
    }
    p.setProperty("mail.smtp.auth", Boolean.toString(s.user() != null));
    switch (s.tls()) {
      case NONE -> p.setProperty("mail.smtp.starttls.enable", "false");
      case STARTTLS -> {
        p.setProperty("mail.smtp.starttls.enable", "true");
        p.setProperty("mail.smtp.starttls.required", "true");
        p.setProperty("mail.smtp.ssl.checkserveridentity", "true");
      }
      case TLS -> {
        p.setProperty("mail.smtp.ssl.enable", "true");
        p.setProperty("mail.smtp.ssl.checkserveridentity", "true");
      }
    }
    return p;
  }

  @Override
  public String type() {
    return "email";
  }

  @Override
  public String description() {
    return "Sends an email from " + settings.from() + " to 'to' (and 'cc', 'bcc') with "
        + "'subject' and a 'text' and/or 'html' body.";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input example() {
    return new Input(List.of("Ada Lovelace <ada@example.com>"), null, null,
        "Your report is ready", "Hello Ada,\n\nthe report you asked for is ready.\n", null);
  }

  @Override
  public void validate(Input in) throws InvalidInputException {
    prepare(in);
  }

  /** The input as addresses, checked. */
  private record Prepared(List<InternetAddress> to, List<InternetAddress> cc,
      List<InternetAddress> bcc) {
    int count() {
      return to.size() + cc.size() + bcc.size();
    }
  }

  private static Prepared prepare(Input in) throws InvalidInputException {
    if (in.to() == null || in.to().isEmpty()) {
      throw new InvalidInputException("'to' needs at least one address");
    }
    Prepared p = new Prepared(addresses("to", in.to()), addresses("cc", in.cc()),
        addresses("bcc", in.bcc()));
    if (p.count() > MAX_RECIPIENTS) {
      throw new InvalidInputException("at most " + MAX_RECIPIENTS + " recipients in all");
    }
    if (in.subject() == null) {
      throw new InvalidInputException("'subject' is required");
    }
    if (in.subject().length() > MAX_SUBJECT) {
      throw new InvalidInputException("'subject' must be at most " + MAX_SUBJECT + " characters");
    }
    if (!headerSafe(in.subject())) {
      throw new InvalidInputException("'subject' must not contain line breaks or other "
          + "control characters");
    }
    if (in.text() == null && in.html() == null) {
      throw new InvalidInputException("give 'text', 'html' or both");
    }
    if (in.text() != null && in.text().length() > MAX_BODY
        || in.html() != null && in.html().length() > MAX_BODY) {
      throw new InvalidInputException("'text' and 'html' must be at most " + MAX_BODY
          + " characters each");
    }
    return p;
  }

  private static List<InternetAddress> addresses(String field, List<String> raw)
      throws InvalidInputException {
    List<InternetAddress> out = new ArrayList<>();
    if (raw == null) {
      return out;
    }
    Set<String> seen = new HashSet<>();
    for (String a : raw) {
      InternetAddress parsed;
      try {
        parsed = address(a);
      } catch (InvalidInputException e) {
        throw new InvalidInputException("'" + field + "': " + e.getMessage());
      }
      if (seen.add(parsed.getAddress().toLowerCase(Locale.ROOT))) {
        out.add(parsed);
      }
    }
    return out;
  }

  /** One mailbox, parsed strictly: {@code ada@example.com} or {@code Ada <ada@example.com>}. */
  static InternetAddress address(String a) throws InvalidInputException {
    if (a == null || a.isBlank()) {
      throw new InvalidInputException("an address is empty");
    }
    if (a.length() > MAX_ADDRESS) {
      throw new InvalidInputException("an address is longer than " + MAX_ADDRESS + " characters");
    }
    if (!headerSafe(a)) {
      throw new InvalidInputException("an address contains a line break or another control "
          + "character");
    }
    try {
      InternetAddress parsed = new InternetAddress(a, true);
      parsed.validate();
      if (parsed.isGroup() || parsed.getAddress() == null
          || parsed.getAddress().indexOf('@') < 1) {
        throw new AddressException("not a single mailbox");
      }
      return parsed;
    } catch (AddressException e) {
      throw new InvalidInputException("'" + a + "' is not a valid email address");
    }
  }

  /** No CR, LF, NUL or other control character (a tab is fine): nothing that ends a header. */
  private static boolean headerSafe(String s) {
    return s.chars().allMatch(c -> c == '\t' || c >= 0x20 && c != 0x7f);
  }

  @Override
  public Result run(Input in, TaskContext context) throws Exception {
    Prepared p;
    try {
      p = prepare(in);
    } catch (InvalidInputException e) {
      throw TaskFailedException.permanent("invalid-input", e.getMessage());
    }
    MimeMessage m = message(in, p);
    context.checkInterrupted();
    Transport transport = session.getTransport("smtp");
    try {
      transport.connect(settings.host(), settings.port(), settings.user(), settings.password());
      context.progress(50, "connected to " + settings.host() + ", sending");
      transport.sendMessage(m, m.getAllRecipients());
    } catch (MessagingException e) {
      throw failure(e, transport);
    } finally {
      try {
        transport.close();
      } catch (MessagingException e) {
        // QUIT after a failure or a sent message: the outcome is known already.
      }
    }
    return new Result(m.getMessageID(), p.count());
  }

  private MimeMessage message(Input in, Prepared p) throws MessagingException {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress(settings.from()));
    m.setRecipients(Message.RecipientType.TO, p.to().toArray(new Address[0]));
    if (!p.cc().isEmpty()) {
      m.setRecipients(Message.RecipientType.CC, p.cc().toArray(new Address[0]));
    }
    if (!p.bcc().isEmpty()) {
      m.setRecipients(Message.RecipientType.BCC, p.bcc().toArray(new Address[0]));
    }
    m.setSubject(in.subject(), "UTF-8");
    m.setSentDate(new Date());
    if (in.text() != null && in.html() != null) {
      MimeBodyPart text = new MimeBodyPart();
      text.setText(in.text(), "UTF-8");
      MimeBodyPart html = new MimeBodyPart();
      html.setText(in.html(), "UTF-8", "html");
      m.setContent(new MimeMultipart("alternative", text, html));
    } else if (in.text() != null) {
      m.setText(in.text(), "UTF-8");
    } else {
      m.setText(in.html(), "UTF-8", "html");
    }
    m.saveChanges();
    return m;
  }

  /**
   * The error type of a failed send: {@code smtp-<code>} from the server's reply (4xx
   * retried, 5xx permanent), else {@code timeout}, {@code tls-error} or {@code connect-error}
   * (retried), {@code smtp-auth} (permanent) when the login was refused without a code.
   */
  static TaskFailedException failure(MessagingException e, Transport transport) {
    int code = replyCode(e);
    if (code < 0 && e instanceof AuthenticationFailedException) {
      code = codeIn(e.getMessage());
      if (code < 0) {
        return TaskFailedException.permanent("smtp-auth",
            "the SMTP server refused the login" + reply(e.getMessage()));
      }
    }
    if (code < 0) {
      Throwable io = ioCause(e);
      if (io instanceof SocketTimeoutException) {
        return new TaskFailedException("timeout", "the SMTP server did not answer in time");
      }
      if (io instanceof SSLException) {
        return new TaskFailedException("tls-error",
            "TLS with the SMTP server failed: " + HttpHandler.describe(io, "handshake failed"));
      }
      if (io != null) {
        return new TaskFailedException("connect-error", "cannot reach the SMTP server: "
            + HttpHandler.describe(io, "the connection failed"));
      }
      if (transport instanceof SMTPTransport smtp && smtp.getLastReturnCode() >= 400) {
        code = smtp.getLastReturnCode();
      } else {
        code = codeIn(e.getMessage());
      }
    }
    if (code >= 400) {
      String said = reply(e);
      String message = "the SMTP server answered " + (said.startsWith(": " + code)
          ? said.substring(2) : code + said);
      return code < 500 ? new TaskFailedException("smtp-" + code, message)
          : TaskFailedException.permanent("smtp-" + code, message);
    }
    return new TaskFailedException("smtp-error",
        "sending failed: " + oneLine(HttpHandler.describe(e, "no reason given")));
  }

  /** The reply code of the first SMTP exception in the chain, or -1. */
  private static int replyCode(MessagingException e) {
    for (Exception x = e; x != null; x = next(x)) {
      if (x instanceof SMTPAddressFailedException a) {
        return a.getReturnCode();
      }
      if (x instanceof SMTPSendFailedException s) {
        return s.getReturnCode();
      }
      if (x instanceof SMTPSenderFailedException s) {
        return s.getReturnCode();
      }
    }
    return -1;
  }

  private static Exception next(Exception x) {
    if (x instanceof MessagingException m && m.getNextException() != null) {
      return m.getNextException();
    }
    return x.getCause() instanceof Exception c && c != x ? c : null;
  }

  private static Throwable ioCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IOException) {
        return t;
      }
      if (t instanceof MessagingException m && m.getNextException() instanceof IOException io) {
        return io;
      }
    }
    return null;
  }

  private static int codeIn(String message) {
    if (message == null) {
      return -1;
    }
    Matcher m = REPLY_CODE.matcher(message);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The server's words, for people: the deepest SMTP reply in the chain, on one line. */
  private static String reply(MessagingException e) {
    String text = null;
    for (Exception x = e; x != null; x = next(x)) {
      if (x instanceof SendFailedException && x.getMessage() != null
          && codeIn(x.getMessage()) > 0) {
        text = x.getMessage();
      }
    }
    return reply(text != null ? text : e.getMessage());
  }

  private static String reply(String text) {
    return text == null || text.isBlank() ? "" : ": " + oneLine(text);
  }

  private static String oneLine(String s) {
    String line = s.replaceAll("[\\r\\n]+", " ").trim();
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }

  /** Stops the write-timeout thread; safe to call twice. */
  @Override
  public void close() {
    if (!threads.stop(writeTimeouts, 2_000)) {
      LOG.warning("offload-smtp-write-timeout did not stop within 2 s");
    }
  }

  Settings settings() {
    return settings;
  }
}
