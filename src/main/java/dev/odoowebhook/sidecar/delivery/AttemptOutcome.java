// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.util.Locale;

/**
 * What recording an attempt, or giving a delivery back, did to the delivery: the result of
 * webhook_finish_attempt() and webhook_release_delivery() (sql/R__webhook_finish.sql).
 */
public enum AttemptOutcome {
  /** Delivered (2xx) and recorded. */
  SENT,
  /** Failed; a retry is scheduled. */
  FAILED,
  /** Failed for the last time, or the receiver said never (410): a human may replay it. */
  DEAD,
  /** This sidecar no longer held it: its lease ran out and another sidecar took it over. */
  LEASE_LOST,
  /** Gone: its subscriber was deleted meanwhile. */
  DELETED,
  /** Given back without counting an attempt; due again later. */
  RELEASED,
  /** Given back, and a newer event of the record cancelled it out (create, then unlink). */
  MERGED;

  public static AttemptOutcome fromSql(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
