// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.pull;

/** A request the API refuses: HTTP status, a stable error code and a message saying what to do. */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;

  ApiError(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static ApiError badRequest(String message) {
    return new ApiError(400, "bad_request", message);
  }
}
