package dev.odoowebhook.sidecar.delivery;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends one signed webhook request over one shared {@link HttpClient} and says what happened;
 * it never throws for a failure of the receiver. Redirects are not followed (a receiver that
 * moved must be reconfigured, and a redirect must not carry a signed body elsewhere).
 * Thread-safe.
 */
public final class PostWebhook {
  static final int EXCERPT_BYTES = 2048;
  private static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);
  private final HttpClient client;
  private final String userAgent;
  private final TargetPolicy targets;

  public PostWebhook(Duration connectTimeout, String version, TargetPolicy targets) {
    this.targets = targets;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            // The client's own small, non-blocking tasks run on the thread that has them (its
            // selector, or the sender), not handed to a pool: on 2 cores the default cached
            // pool's hand-offs took about a fifth of the sidecar's CPU. The JDK's maintainers
            // allow this (net-dev, 2025-10: "or even an executor that run tasks inline"); our
            // body subscriber never blocks, and dependent actions of the futures it returns
            // run in the common pool whatever this executor is.
            .executor(Runnable::run)
            .build();
    this.userAgent = "odoo-webhook-sidecar/" + version;
  }

  public AttemptResult post(
      Subscriber s, String messageId, byte[] body, Duration timeout, Instant now) {
    long timestamp = now.getEpochSecond();
    if (s.url() == null || problemWithUrl(s.url().toString()) != null) {
      return new AttemptResult(now, 0, null, "invalid_url",
          "The subscriber's URL is not a valid http(s) URL; fix it and replay.", null, null, true);
    }
    String blocked = targets.problemWith(s.url());
    if (blocked != null) {
      return new AttemptResult(now, 0, null, "blocked_target", blocked, null, null, true);
    }
    HttpRequest request;
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(s.url())
              .timeout(timeout)
              // Plain http gets HTTP/1.1: the JDK would otherwise try an h2c upgrade each time.
              .version(
                  "https".equalsIgnoreCase(s.url().getScheme())
                      ? HttpClient.Version.HTTP_2
                      : HttpClient.Version.HTTP_1_1)
              .header("Content-Type", "application/json")
              .header("User-Agent", userAgent)
              .header("webhook-id", messageId)
              .header("webhook-timestamp", Long.toString(timestamp))
              .header(
                  "webhook-signature",
                  WebhookSigner.signatureHeader(s.signingSecrets(now), messageId, timestamp, body))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, String> h : s.headers().entrySet()) {
        b.header(h.getKey(), h.getValue());
      }
      request = b.build();
    } catch (IllegalArgumentException e) {
      return new AttemptResult(
          now, 0, null, "invalid_url", "Cannot build the request: " + e.getMessage(), null, null, true);
    }
    long start = System.nanoTime();
    CompletableFuture<HttpResponse<String>> future =
        client.sendAsync(request, ExcerptBodySubscriber.handler(EXCERPT_BYTES));
    try {
      // The request timeout covers the headers; this also bounds a body that trickles in.
      HttpResponse<String> response =
          future.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      return classify(response, now, elapsedMs(start));
    } catch (TimeoutException e) {
      future.cancel(true);
      return AttemptResult.failure(
          now, elapsedMs(start), "timeout", "No complete answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      return AttemptResult.failure(now, elapsedMs(start), "interrupted", "The sidecar is stopping");
    } catch (ExecutionException e) {
      return fromException(e.getCause(), s.url(), now, elapsedMs(start), timeout);
    }
  }

  private static AttemptResult classify(HttpResponse<String> r, Instant now, long durationMs) {
    int code = r.statusCode();
    if (code >= 200 && code < 300) {
      return new AttemptResult(now, durationMs, code, null, null, r.body(), null, false);
    }
    Duration retryAfter = null;
    if (code == 429 || code == 503) {
      retryAfter = r.headers().firstValue("Retry-After").map(PostWebhook::parseRetryAfter).orElse(null);
    }
    String type = code == 429 ? "rate_limited" : code == 410 ? "gone" : "http_error";
    // 410 Gone: the receiver says this endpoint will never take it; retrying is pointless.
    return new AttemptResult(
        now, durationMs, code, type, "HTTP " + code, r.body(), retryAfter, code == 410);
  }

  private static AttemptResult fromException(
      Throwable e, URI url, Instant now, long durationMs, Duration timeout) {
    if (e instanceof HttpConnectTimeoutException) {
      return AttemptResult.failure(now, durationMs, "timeout", "Connect timed out");
    }
    if (e instanceof HttpTimeoutException) {
      return AttemptResult.failure(
          now, durationMs, "timeout", "No answer within " + timeout.toMillis() + " ms");
    }
    if (causedBy(e, UnresolvedAddressException.class) || causedBy(e, UnknownHostException.class)) {
      return AttemptResult.failure(now, durationMs, "connection",
          "Host not found: " + url.getHost() + " does not resolve (DNS); check the subscriber's URL");
    }
    if (e instanceof ConnectException) {
      // The JDK's exception often carries no message, neither does its cause.
      String reason = "Connection refused or unreachable";
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t.getMessage() != null && !t.getMessage().isEmpty()) {
          reason = t.getMessage();
          break;
        }
      }
      int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
      return AttemptResult.failure(now, durationMs, "connection",
          reason + " (connecting to " + url.getHost() + ":" + port + ")");
    }
    if (e instanceof IOException) {
      return AttemptResult.failure(now, durationMs, "connection", message(e));
    }
    return AttemptResult.failure(now, durationMs, "internal", message(e));
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

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isEmpty() ? e.getClass().getSimpleName() : m;
  }

  private static long elapsedMs(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** Whether a URL is one the sidecar can post to; null if fine, else the problem. */
  public static String problemWithUrl(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (java.net.URISyntaxException e) {
      return "not a valid URL (" + e.getReason() + ")";
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      return "only http:// and https:// URLs can receive webhooks";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "the URL has no host";
    }
    return null;
  }
}
