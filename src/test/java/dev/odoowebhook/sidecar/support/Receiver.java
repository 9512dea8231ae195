package dev.odoowebhook.sidecar.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A real HTTP server on 127.0.0.1 that receives webhooks, records every request, and answers as
 * the test tells it ({@link #respondWith}).
 */
public final class Receiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One received request, and the status it was answered with (0 while not answered). */
  public record Request(Map<String, List<String>> headers, String body, Instant at, int status) {
    public boolean answered2xx() {
      return status >= 200 && status < 300;
    }

    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(java.util.Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public JsonNode data() {
      return json().get("data");
    }
  }

  /** How to answer one request. */
  public record Response(int status, Map<String, String> headers, String body, long delayMs) {
    public static Response ok() {
      return new Response(200, Map.of(), "ok", 0);
    }

    public static Response status(int status) {
      return new Response(status, Map.of(), "status " + status, 0);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Response> responder = r -> Response.ok();
  private volatile Consumer<Request> sink = requests::add;

  public Receiver() {
    // Without it the JDK server delays every keep-alive answer (Nagle): ~23 answers a second.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      Map<String, List<String>> headers = new HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), new ArrayList<>(v)));
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Request request = new Request(headers, body, Instant.now(), 0);
      Response response = responder.apply(request);
      if (response.delayMs() > 0) {
        try {
          Thread.sleep(response.delayMs());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // Recorded once answered: a request whose answer never left is not "received".
      sink.accept(new Request(request.headers(), request.body(), request.at(), response.status()));
      response.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
      byte[] out = response.body().getBytes(StandardCharsets.UTF_8);
      try {
        exchange.sendResponseHeaders(response.status(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
          try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
          }
        }
      } catch (IOException clientGone) {
        // The sidecar gave up (timeout) or was killed; nothing to answer.
      } finally {
        exchange.close();
      }
    });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

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

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
