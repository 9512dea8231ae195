// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.config;

/** A setting or command-line value is invalid; the message names it and says what to do. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
