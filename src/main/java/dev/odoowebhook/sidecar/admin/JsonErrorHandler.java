// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers before a handler runs (a malformed request line or escape, headers too
 * large, a request that took too long) in the API's own shape, {@code {"error": code, "message":
 * text}}, never an HTML page. Thread-safe.
 */
public final class JsonErrorHandler extends ErrorHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The stable error code of a status, as the handlers use them. */
  public static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "body_too_large";
      case 414 -> "uri_too_long";
      case 429 -> "rate_limited";
      case 431 -> "headers_too_large";
      case 500 -> "internal";
      case 503 -> "unavailable";
      default -> "http_" + status;
    };
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int status,
      String message,
      Throwable cause,
      Callback callback) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", code(status));
    String reason = HttpStatus.getMessage(status);
    // Jetty's own messages name what was wrong ("Illegal character", "Bad URI"), never data.
    body.put("message", message == null || message.isBlank() ? reason : reason + ": " + message);
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (java.io.IOException e) {
      callback.failed(e);
      return;
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }
}
