// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An HTTP/1.1 server (Jetty 12) for the sidecar's own small endpoints, hardened against clients
 * that connect and then take their time: idle connections wait in the selector without a thread
 * (thousands are cheap), a request's headers must arrive within {@link Limits#requestArrival} (see
 * {@link SlowRequestGuard}) and a connection that sends nothing for {@link Limits#idleTimeout} is
 * closed. Handlers run on a bounded pool of {@link Limits#threads} daemon threads, and errors Jetty
 * answers itself (a malformed request line, a header too large) are JSON like the handlers' own
 * ({@link JsonErrorHandler}). Thread-safe.
 */
public final class GuardedHttpServer implements AutoCloseable {
  /** Headers of a request, in bytes: far above what the API's clients send, far below a flood. */
  static final int MAX_HEADER_BYTES = 8 * 1024;

  /**
   * How a server treats its clients.
   *
   * @param name names its threads, e.g. "webhook-admin-http"
   * @param threads handler threads, besides one acceptor and one selector
   * @param idleTimeout a connection silent this long is closed
   * @param requestArrival a request's headers (and the handlers' bodies) arrive within this
   */
  public record Limits(String name, int threads, Duration idleTimeout, Duration requestArrival) {}

  private final Server server;
  private final ServerConnector connector;

  private GuardedHttpServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * Binds host:port (0 picks a free port) and starts serving with the handler.
   *
   * @throws IOException when the port cannot be bound
   */
  public static GuardedHttpServer start(String host, int port, Limits limits, Handler handler)
      throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(limits.threads() + 2, 2);
    threads.setName(limits.name());
    threads.setDaemon(true);
    threads.setReservedThreads(0);
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_HEADER_BYTES);
    http.setIdleTimeout(limits.idleTimeout().toMillis());
    ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    connector.addBean(new SlowRequestGuard(connector, limits.requestArrival()));
    server.addConnector(connector);
    server.setErrorHandler(new JsonErrorHandler());
    server.setHandler(handler);
    server.setStopTimeout(0);
    try {
      server.start();
    } catch (IOException e) {
      stopQuietly(server);
      throw e;
    } catch (Exception e) {
      stopQuietly(server);
      throw new IOException(e.getMessage(), e);
    }
    return new GuardedHttpServer(server, connector);
  }

  /** A request body refused: 413 when too large, 408 when it did not arrive within the bound. */
  public static final class BodyRefused extends IOException {
    private static final long serialVersionUID = 1L;
    public final int status;

    BodyRefused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /**
   * Reads a request's body of at most {@code max} bytes, which must arrive within {@code within}.
   * The handler's thread waits, but only that long: a client that trickles its body cannot hold a
   * thread for longer.
   *
   * @throws BodyRefused 413 when the body is larger, 408 when it came too slowly
   * @throws IOException when the client failed while sending it
   */
  public static byte[] readBody(Request request, int max, Duration within) throws IOException {
    if (request.getLength() > max) {
      throw new BodyRefused(413, "Request bodies are at most " + max + " bytes.");
    }
    CompletableFuture<byte[]> body = new CompletableFuture<>();
    // Completing the future only wakes the waiting handler thread: non-blocking.
    Content.Source.asByteArrayAsync(request, max, Promise.Invocable.toPromise(body));
    try {
      return body.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      body.cancel(true);
      throw new BodyRefused(
          408, "The request body did not arrive within " + within.toSeconds() + " s.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while reading the request body", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IllegalArgumentException) {
        // Jetty's way of saying the body went past max (a chunked body gives no length).
        throw new BodyRefused(413, "Request bodies are at most " + max + " bytes.");
      }
      throw new IOException("Reading the request body failed: " + e.getCause(), e.getCause());
    }
  }

  /** Answers with a whole body and its length. */
  public static void send(
      Response response, Callback callback, int status, String type, byte[] body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  public int port() {
    return connector.getLocalPort();
  }

  private static void stopQuietly(Server server) {
    try {
      server.stop();
    } catch (Exception ignored) {
      // already failing to start: the caller reports the first error
    }
  }

  @Override
  public void close() {
    stopQuietly(server);
  }
}
