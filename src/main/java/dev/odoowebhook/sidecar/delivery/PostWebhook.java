// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Sends one signed webhook request over a shared pool of HTTP/1.1 keep-alive connections and says
 * what happened; it never throws for a failure of the receiver. Redirects are not followed (a
 * receiver that moved must be reconfigured, and a redirect must not carry a signed body elsewhere),
 * nor are requests retried here (the delivery's own schedule does that).
 *
 * <p>Apache HttpClient's classic (blocking) client rather than the JDK's {@code java.net.http}: the
 * sender threads block anyway, and the JDK client's asynchronous machinery cost about ten times the
 * CPU per request on 2 cores (bench/results/analysis.md, section 1). Thread-safe.
 */
public final class PostWebhook implements AutoCloseable {
  static final int EXCERPT_BYTES = 2048;
  private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

  /** Idle connections are checked before reuse: a receiver may have closed them meanwhile. */
  private static final TimeValue VALIDATE_AFTER_IDLE = TimeValue.ofSeconds(1);

  private static final TimeValue EVICT_IDLE = TimeValue.ofSeconds(30);
  private static final ContentType JSON = ContentType.create("application/json");

  /** Headers the sidecar sets on every request: a custom header of the same name is replaced. */
  private static final Set<String> OWN_HEADERS =
      Set.of("content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature");

  /** Headers that frame the HTTP exchange: a subscriber's custom headers cannot set them. */
  private static final Set<String> FRAMING_HEADERS =
      Set.of(
          "content-length",
          "transfer-encoding",
          "host",
          "connection",
          "keep-alive",
          "expect",
          "upgrade",
          "te",
          "trailer");

  private final CloseableHttpClient client;
  private final String userAgent;
  private final TargetPolicy targets;

  /** Aborts a request at its deadline: the read timeout alone lets a trickling body go on. */
  private final ScheduledThreadPoolExecutor deadlines;

  /** Each request in flight, with why it was aborted (null while it was not). */
  private final Map<HttpPost, AtomicReference<ErrorType>> inFlight = new ConcurrentHashMap<>();

  private volatile boolean closing;

  /**
   * @param maxConnections connections kept open at most, all receivers together and to any one (the
   *     sender threads: each holds at most one)
   */
  public PostWebhook(
      Duration connectTimeout, String version, TargetPolicy targets, int maxConnections) {
    this.targets = targets;
    this.userAgent = "odoo-webhook-sidecar/" + version;
    this.client =
        HttpClients.custom()
            .setConnectionManager(
                PoolingHttpClientConnectionManagerBuilder.create()
                    .setDnsResolver(targets.resolver())
                    .setMaxConnTotal(maxConnections)
                    .setMaxConnPerRoute(maxConnections)
                    .setDefaultConnectionConfig(
                        ConnectionConfig.custom()
                            .setConnectTimeout(Timeout.of(connectTimeout))
                            .setValidateAfterInactivity(VALIDATE_AFTER_IDLE)
                            .build())
                    .build())
            .evictIdleConnections(EVICT_IDLE)
            .disableRedirectHandling()
            .disableAutomaticRetries()
            .disableContentCompression()
            .disableCookieManagement()
            .disableAuthCaching()
            .build();
    this.deadlines =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "webhook-deadlines");
              t.setDaemon(true);
              return t;
            });
    deadlines.setRemoveOnCancelPolicy(true); // most requests finish long before their deadline
  }

  public AttemptResult post(
      Subscriber s, String messageId, byte[] body, Duration timeout, Instant now) {
    long timestamp = now.getEpochSecond();
    if (s.url() == null
        || !isHttpScheme(s.url().getScheme())
        || problemWithHttpUrl(s.url()) != null) {
      return new AttemptResult(
          now,
          0,
          null,
          ErrorType.INVALID_URL,
          "The subscriber's URL is not a valid http(s) URL; fix it and replay.",
          null,
          null,
          true);
    }
    String blocked = targets.problemWith(s.url());
    if (blocked != null) {
      return new AttemptResult(now, 0, null, ErrorType.BLOCKED_TARGET, blocked, null, null, true);
    }
    HttpPost request = new HttpPost(s.url());
    for (Map.Entry<String, String> h : s.headers().entrySet()) {
      if (FRAMING_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        return new AttemptResult(
            now,
            0,
            null,
            ErrorType.INVALID_URL,
            "The subscriber's custom header "
                + h.getKey()
                + " "
                + problemWithHeader(h.getKey())
                + "; remove it and replay.",
            null,
            null,
            true);
      }
      request.addHeader(h.getKey(), h.getValue());
    }
    // Set after the custom headers, replacing any of the same name: these are the sidecar's.
    request.setHeader("User-Agent", userAgent);
    request.setHeader("webhook-id", messageId);
    request.setHeader("webhook-timestamp", Long.toString(timestamp));
    request.setHeader(
        "webhook-signature",
        WebhookSigner.signatureHeader(s.signingSecrets(now), messageId, timestamp, body));
    request.setEntity(new ByteArrayEntity(body, JSON));
    request.setConfig(
        RequestConfig.custom()
            .setResponseTimeout(Timeout.of(timeout))
            .setConnectionRequestTimeout(Timeout.of(timeout))
            .build());

    AtomicReference<ErrorType> abortedBecause = new AtomicReference<>();
    long start = System.nanoTime();
    ScheduledFuture<?> deadline =
        deadlines.schedule(
            () -> abort(request, abortedBecause, ErrorType.TIMEOUT),
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    inFlight.put(request, abortedBecause);
    try {
      if (closing) {
        abort(request, abortedBecause, ErrorType.INTERRUPTED);
      }
      return client.execute(request, response -> classify(response, now, elapsedMs(start)));
    } catch (IOException | RuntimeException e) {
      ErrorType why = abortedBecause.get();
      if (why == ErrorType.TIMEOUT) {
        return AttemptResult.failure(
            now,
            elapsedMs(start),
            ErrorType.TIMEOUT,
            "No complete answer within " + timeout.toMillis() + " ms");
      }
      if (why == ErrorType.INTERRUPTED) {
        return AttemptResult.failure(
            now, elapsedMs(start), ErrorType.INTERRUPTED, "The sidecar is stopping");
      }
      return fromException(e, s.url(), now, elapsedMs(start), timeout);
    } finally {
      inFlight.remove(request);
      deadline.cancel(false);
    }
  }

  private static void abort(HttpPost request, AtomicReference<ErrorType> because, ErrorType why) {
    if (because.compareAndSet(null, why)) {
      request.cancel(); // closes its connection: a blocked read or write ends at once
    }
  }

  /** Aborts what is in flight (its senders see "interrupted") and closes the connections. */
  @Override
  public void close() {
    closing = true;
    inFlight.forEach((request, because) -> abort(request, because, ErrorType.INTERRUPTED));
    deadlines.shutdownNow();
    client.close(CloseMode.IMMEDIATE);
  }

  private static AttemptResult classify(ClassicHttpResponse r, Instant now, long durationMs)
      throws IOException {
    int code = r.getCode();
    String excerpt = excerpt(r.getEntity());
    if (code >= 200 && code < 300) {
      return new AttemptResult(now, durationMs, code, null, null, excerpt, null, false);
    }
    Duration retryAfter = null;
    if (code == 429 || code == 503) {
      Header h = r.getFirstHeader("Retry-After");
      retryAfter = h == null ? null : parseRetryAfter(h.getValue());
    }
    ErrorType type =
        code == 429 ? ErrorType.RATE_LIMITED : code == 410 ? ErrorType.GONE : ErrorType.HTTP_ERROR;
    // 410 Gone: the receiver says this endpoint will never take it; retrying is pointless.
    return new AttemptResult(
        now, durationMs, code, type, "HTTP " + code, excerpt, retryAfter, code == 410);
  }

  /**
   * The first bytes of the body, for a human reading a failure; the client reads and drops the rest
   * after this (so the connection can be reused), bounded in time by the deadline and in memory by
   * its buffer. Invalid UTF-8 becomes U+FFFD.
   */
  private static String excerpt(HttpEntity entity) throws IOException {
    if (entity == null) {
      return "";
    }
    try (InputStream in = entity.getContent()) {
      return new String(in.readNBytes(EXCERPT_BYTES), StandardCharsets.UTF_8);
    }
  }

  private static AttemptResult fromException(
      Throwable e, URI url, Instant now, long durationMs, Duration timeout) {
    if (e instanceof ConnectTimeoutException) {
      return AttemptResult.failure(now, durationMs, ErrorType.TIMEOUT, "Connect timed out");
    }
    if (e instanceof SocketTimeoutException) {
      return AttemptResult.failure(
          now, durationMs, ErrorType.TIMEOUT, "No answer within " + timeout.toMillis() + " ms");
    }
    Throwable blocked = causeOf(e, TargetPolicy.BlockedAddressException.class);
    if (blocked != null) { // the name resolves to an internal address now
      return new AttemptResult(
          now, durationMs, null, ErrorType.BLOCKED_TARGET, blocked.getMessage(), null, null, true);
    }
    if (causeOf(e, UnknownHostException.class) != null) {
      return AttemptResult.failure(
          now,
          durationMs,
          ErrorType.CONNECTION,
          "Host not found: "
              + url.getHost()
              + " does not resolve (DNS); check the subscriber's URL");
    }
    if (causeOf(e, ConnectException.class) != null) {
      int port =
          url.getPort() != -1
              ? url.getPort()
              : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
      return AttemptResult.failure(
          now,
          durationMs,
          ErrorType.CONNECTION,
          connectFailure(e) + " (connecting to " + url.getHost() + ":" + port + ")");
    }
    if (e instanceof IOException) {
      return AttemptResult.failure(now, durationMs, ErrorType.CONNECTION, message(e));
    }
    return AttemptResult.failure(now, durationMs, ErrorType.INTERNAL, message(e));
  }

  /** Retry-After is either seconds or an HTTP date; null if unreadable. Capped at one day. */
  static Duration parseRetryAfter(String value) {
    Duration d;
    try {
      d = Duration.ofSeconds(Long.parseLong(value.trim()));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        d = Duration.between(Instant.now(), at.toInstant());
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
    if (d.isNegative()) {
      return Duration.ZERO;
    }
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }

  /** The first exception of that type in the cause chain, or null. */
  private static Throwable causeOf(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return t;
      }
    }
    return null;
  }

  /**
   * Why a connection failed, e.g. "Connection refused". The client's exception says "Connect to URL
   * [addresses] failed: REASON" and keeps no cause; the URL is added by the caller.
   */
  private static String connectFailure(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isEmpty()) {
      return "Connection refused or unreachable";
    }
    int reason = m.lastIndexOf("failed: ");
    return reason >= 0 ? m.substring(reason + "failed: ".length()) : m;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
  }

  private static long elapsedMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /**
   * Whether a subscriber's custom header can be sent; null if so, else why not, as the end of a
   * sentence that starts with the header's name.
   */
  public static String problemWithHeader(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (OWN_HEADERS.contains(n)) {
      return "is set by the sidecar itself and cannot be overridden";
    }
    return FRAMING_HEADERS.contains(n) ? "is part of HTTP's framing and cannot be set" : null;
  }

  /** Whether a URL scheme is one this class posts to: http or https. */
  public static boolean isHttpScheme(String scheme) {
    return "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
  }

  /**
   * Whether an http(s) URL is one the sidecar can post to; null if fine, else the problem. The
   * check of every kind of subscriber URL is {@code delivery.broker.DestinationUrls}, which calls
   * this for http(s).
   */
  public static String problemWithHttpUrl(URI uri) {
    // A user:password@ would be logged and shown wherever the URL is; a header is not.
    String userInfo =
        "the URL must not carry user:password@; send credentials in a header"
            + " such as Authorization instead";
    if (uri.getRawUserInfo() != null) {
      return userInfo;
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      // java.net.URI reads no host from an authority it cannot parse, e.g. a port beyond int.
      String authority = uri.getRawAuthority();
      if (authority != null && authority.contains("@")) {
        return userInfo;
      }
      if (authority != null && authority.matches(".*:[0-9]+")) {
        return "the port of " + authority + " is not a number from 1 to 65535";
      }
      return "the URL has no host";
    }
    if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
      return "the port " + uri.getPort() + " is not a number from 1 to 65535";
    }
    if (uri.getRawFragment() != null) {
      return "the URL must not have a #fragment (it is never sent to the receiver)";
    }
    return null;
  }
}
