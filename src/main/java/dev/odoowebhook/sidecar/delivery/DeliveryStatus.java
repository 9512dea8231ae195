// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.util.Locale;

/**
 * The statuses of a webhook_delivery row, exactly those of its CHECK constraint
 * (webhook_delivery_status_check; a test ties the two, and the addon's selection, together).
 * pending → processing → sent | failed → … → dead → cancelled (by a person: kept, no longer a
 * problem; webhook_cancel_delivery).
 */
public enum DeliveryStatus {
  PENDING,
  PROCESSING,
  SENT,
  FAILED,
  DEAD,
  CANCELLED;

  /** The value stored in the database, e.g. "pending". */
  public String sqlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DeliveryStatus fromSql(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
