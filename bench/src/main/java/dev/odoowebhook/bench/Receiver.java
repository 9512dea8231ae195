package dev.odoowebhook.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local receiver every scenario posts to: a small HTTP/1.1 keep-alive server on 127.0.0.1,
 * one thread per connection, so a path can answer slowly (sleep) without holding up the others.
 * Each path is an {@link Endpoint} that answers 200 (no-op), 503 while "down", or sleeps first,
 * and records arrival times and what the JSON body said (record_id, last_event_id, delivery_id).
 * Hand-written rather than the JDK's HttpServer, which manages only about 1.1-1.4k requests/s
 * here: the receiver must not be the ceiling it is meant to measure.
 */
final class Receiver implements AutoCloseable {
  private static final Pattern RECORD_ID = Pattern.compile("\"record_id\"\\s*:\\s*(\\d+)");
  private static final Pattern LAST_EVENT_ID = Pattern.compile("\"last_event_id\"\\s*:\\s*(\\d+)");
  private static final Pattern DELIVERY_ID = Pattern.compile("\"delivery_id\"\\s*:\\s*(\\d+)");

  /** One path: its behaviour and what arrived there. Thread-safe. */
  static final class Endpoint {
    volatile boolean down;
    volatile long sleepMs;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    volatile long firstOkNanos;
    volatile long lastOkNanos;
    /** record_id -> arrival (System.nanoTime) of its first 2xx delivery. */
    final Map<Long, Long> firstArrival = new ConcurrentHashMap<>();
    /** record_id -> highest last_event_id answered 2xx. */
    final Map<Long, Long> lastEventId = new ConcurrentHashMap<>();
    /** delivery_id -> 2xx answers (more than one means a duplicate). */
    final Map<Long, Integer> deliveries = new ConcurrentHashMap<>();

    void reset() {
      requests.set(0);
      ok.set(0);
      firstOkNanos = 0;
      lastOkNanos = 0;
      firstArrival.clear();
      lastEventId.clear();
      deliveries.clear();
    }

    /** Deliveries per second between the first and the last 2xx answer. */
    double okRate() {
      long n = ok.get();
      double secs = (lastOkNanos - firstOkNanos) / 1e9;
      return n < 2 || secs <= 0 ? Double.NaN : (n - 1) / secs;
    }
  }

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "receiver");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private volatile boolean open = true;

  Receiver() throws IOException {
    server = new ServerSocket(0, 512, InetAddress.getByName("127.0.0.1"));
    threads.execute(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  Endpoint endpoint(String path) {
    return endpoints.computeIfAbsent(path, p -> new Endpoint());
  }

  private void acceptLoop() {
    while (open) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        if (open) {
          System.err.println("receiver: accept failed: " + e);
        }
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
        int contentLength = 0;
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
          int colon = line.indexOf(':');
          if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
            contentLength = Integer.parseInt(line.substring(colon + 1).trim());
          }
        }
        if (line == null) {
          return;
        }
        byte[] body = in.readNBytes(contentLength);
        String[] parts = requestLine.split(" ");
        String path = parts.length > 1 ? parts[1] : "/";
        out.write(answer(path, body));
        out.flush();
      }
    } catch (SocketException closed) {
      // the client went away
    } catch (IOException e) {
      if (open) {
        System.err.println("receiver: " + e);
      }
    }
  }

  private byte[] answer(String path, byte[] body) {
    long now = System.nanoTime();
    Endpoint e = endpoint(path);
    e.requests.incrementAndGet();
    if (e.sleepMs > 0) {
      try {
        Thread.sleep(e.sleepMs);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
    if (e.down) {
      return ("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);
    }
    String text = new String(body, StandardCharsets.UTF_8);
    long record = find(RECORD_ID, text);
    if (record >= 0) {
      e.firstArrival.putIfAbsent(record, now);
      long last = find(LAST_EVENT_ID, text);
      if (last >= 0) {
        e.lastEventId.merge(record, last, Math::max);
      }
    }
    long delivery = find(DELIVERY_ID, text);
    if (delivery >= 0) {
      e.deliveries.merge(delivery, 1, Integer::sum);
    }
    synchronized (e) {
      if (e.firstOkNanos == 0) {
        e.firstOkNanos = now;
      }
      e.lastOkNanos = Math.max(e.lastOkNanos, now);
    }
    e.ok.incrementAndGet();
    return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  }

  private static long find(Pattern p, String text) {
    Matcher m = p.matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
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
  public void close() throws IOException {
    open = false;
    server.close();
    threads.shutdownNow();
  }
}
