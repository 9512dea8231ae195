// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

/** A command could not do what was asked; the message says why and what to do. Exit code 1. */
final class CommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CommandException(String message) {
    super(message);
  }
}
