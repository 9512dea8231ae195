// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

/** The command line is wrong; the message says how to write it. Exit code 2. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
