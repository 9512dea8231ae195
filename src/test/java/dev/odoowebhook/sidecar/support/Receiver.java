// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A real HTTP server on 127.0.0.1 that receives webhooks, records every request, and answers as it
 * is told ({@link #respondWith}). Shared by the tests and the benchmark harness ({@code bench/},
 * through this project's test jar).
 *
 * <p>A small hand-written HTTP/1.1 keep-alive server, one thread per connection (so one slow answer
 * never holds up another connection), rather than the JDK's {@code HttpServer}, which manages only
 * about 1.1-1.4k requests/s here and would be the ceiling the benchmark measures. Every request is
 * handed, once answered, to the sink: by default the list {@link #requests()} (tests); {@link
 * #sendAnsweredTo} replaces it for long runs (the benchmark counts instead of keeping).
 */
public final class Receiver implements AutoCloseable {
  /** The path of {@link #url()}. */
  public static final String HOOK = "/hook";

  /**
   * One received request, and the status it was answered with (0 while not answered). {@code path}
   * is the request target; {@code nanos} the arrival on this JVM's {@link System#nanoTime} clock
   * (for latencies against a writer in the same JVM).
   */
  public record Request(
      Map<String, List<String>> headers,
      String body,
      Instant at,
      int status,
      String path,
      long nanos) {
    public boolean answered2xx() {
      return status >= 200 && status < 300;
    }

    /** The first value of a header, by name in any case; null when absent. */
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public JsonNode data() {
      return json().get("data");
    }

    Request answered(int answeredStatus) {
      return new Request(headers, body, at, answeredStatus, path, nanos);
    }
  }

  /** How to answer one request: status, headers, body, and a delay before answering. */
  public record Response(int status, Map<String, String> headers, String body, long delayMs) {
    public static Response ok() {
      return OK;
    }

    public static Response status(int status) {
      return new Response(status, Map.of(), "status " + status, 0);
    }
  }

  private static final Response OK = new Response(200, Map.of(), "ok", 0);

  /** Jackson only when a test reads JSON: the benchmark never loads it through here. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private final ServerSocket server;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "receiver");
            t.setDaemon(true);
            return t;
          });
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Response> responder = r -> OK;
  private volatile Consumer<Request> sink = requests::add;
  private volatile boolean open = true;

  public Receiver() {
    try {
      server = new ServerSocket(0, 512, InetAddress.getByName("127.0.0.1"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    threads.execute(this::acceptLoop);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The URL of {@link #HOOK}. */
  public String url() {
    return url(HOOK);
  }

  /** The URL of a path on this receiver (every path is answered the same way). */
  public String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  /** Decides every answer from now on; called on arrival, before the delay it may ask for. */
  public void respondWith(Function<Request, Response> responder) {
    this.responder = responder;
  }

  /** Hands answered requests to a consumer instead of keeping them (runs too long to keep all). */
  public void sendAnsweredTo(Consumer<Request> sink) {
    this.sink = sink;
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public void clear() {
    requests.clear();
  }

  private void acceptLoop() {
    while (open) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        connections.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        if (open) {
          System.err.println("receiver: accept failed: " + e);
        }
      } catch (RuntimeException rejected) {
        // closing: the executor is shut down
      }
    }
  }

  private void serve(Socket socket) {
    try (socket;
        InputStream in = new BufferedInputStream(socket.getInputStream(), 16384);
        OutputStream out = socket.getOutputStream()) {
      while (open) {
        String requestLine = readLine(in);
        if (requestLine == null) {
          return;
        }
        if (requestLine.isEmpty()) {
          continue; // a stray CRLF between requests
        }
        Map<String, List<String>> headers = new HashMap<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            headers
                .computeIfAbsent(
                    line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                    k -> new ArrayList<>(1))
                .add(line.substring(colon + 1).trim());
          }
        }
        if (line == null) {
          return;
        }
        long nanos = System.nanoTime();
        if ("100-continue".equalsIgnoreCase(first(headers, "expect"))) {
          out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
        byte[] body =
            "chunked".equalsIgnoreCase(first(headers, "transfer-encoding"))
                ? readChunked(in)
                : in.readNBytes(contentLength(headers));
        String[] parts = requestLine.split(" ");
        String path = parts.length > 1 ? parts[1] : "/";
        Request request =
            new Request(
                headers, new String(body, StandardCharsets.UTF_8), Instant.now(), 0, path, nanos);
        Response response = responder.apply(request);
        if (response.delayMs() > 0) {
          try {
            Thread.sleep(response.delayMs());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        // Recorded once answered (after the delay): the caller may have given up by then.
        sink.accept(request.answered(response.status()));
        out.write(head(response));
        if (!response.body().isEmpty()) {
          out.write(response.body().getBytes(StandardCharsets.UTF_8));
        }
        out.flush();
        if ("close".equalsIgnoreCase(first(headers, "connection"))) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // The client went away (timeout, killed) or the receiver is closing: nothing to answer.
    } finally {
      connections.remove(socket);
    }
  }

  private static byte[] head(Response r) {
    StringBuilder sb =
        new StringBuilder(96)
            .append("HTTP/1.1 ")
            .append(r.status())
            .append(' ')
            .append(reason(r.status()))
            .append("\r\n");
    r.headers().forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    sb.append("Content-Length: ")
        .append(r.body().getBytes(StandardCharsets.UTF_8).length)
        .append("\r\n\r\n");
    return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 204:
        return "No Content";
      case 302:
        return "Found";
      case 400:
        return "Bad Request";
      case 404:
        return "Not Found";
      case 429:
        return "Too Many Requests";
      case 500:
        return "Internal Server Error";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  private static String first(Map<String, List<String>> headers, String name) {
    List<String> v = headers.get(name);
    return v == null ? null : v.get(0);
  }

  private static int contentLength(Map<String, List<String>> headers) {
    String v = first(headers, "content-length");
    return v == null ? 0 : Integer.parseInt(v);
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = readLine(in);
      if (size == null) {
        throw new IOException("chunked body cut short");
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
      if (n == 0) {
        String trailer;
        while ((trailer = readLine(in)) != null && !trailer.isEmpty()) {
          // trailers are ignored
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(n));
      readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public void close() {
    open = false;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : connections) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    threads.shutdownNow();
  }
}
