// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP over a plain socket, for what a well-behaved client cannot send: half a request, a URL with
 * a bad percent-escape, a request from another loopback address.
 */
public final class RawHttp {
  private RawHttp() {}

  /** An answer: status, headers (lower-case names), body. */
  public record Answer(int status, Map<String, String> headers, String body) {
    @Override
    public String toString() {
      return status + " " + headers.get("content-type") + " " + body;
    }
  }

  /** Sends a whole request (it should say Connection: close) and reads the answer to the end. */
  public static Answer exchange(int port, String request) throws IOException {
    return exchange("127.0.0.1", port, request);
  }

  /** The same, from a given local address such as 127.0.0.2. */
  public static Answer exchange(String fromAddress, int port, String request) throws IOException {
    try (Socket s =
        new Socket(
            InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(fromAddress), 0)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      in.transferTo(all);
      return parse(all.toString(StandardCharsets.UTF_8));
    }
  }

  private static Answer parse(String text) {
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IllegalStateException("Not an HTTP answer: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    return new Answer(status, headers, text.substring(end + 4));
  }

  /** Connects and sends the start of a request, then leaves the socket open and silent. */
  public static Socket halfSent(int port, String start) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    OutputStream out = s.getOutputStream();
    out.write(start.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Whether the server still holds the connection open without having answered. */
  public static boolean isOpenAndSilent(Socket s) {
    try {
      s.setSoTimeout(50);
      return s.getInputStream().read() == -2; // never: any byte or end of stream means no
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the server closed the connection (end of stream or reset), waiting up to millis. */
  public static boolean closedByServer(Socket s, int millis) {
    try {
      s.setSoTimeout(millis);
      InputStream in = s.getInputStream();
      int b;
      while ((b = in.read()) != -1) {
        // an error answer before the close is fine: read on to the end
        assert b >= 0;
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  public static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a test's client socket
    }
  }
}
