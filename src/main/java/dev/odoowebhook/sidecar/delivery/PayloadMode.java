// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery;

import java.util.Locale;

/**
 * What a subscriber's deliveries carry (webhook_subscriber.payload, CHECK
 * webhook_subscriber_payload_check). Each mode carries what the one before it does, and more.
 */
public enum PayloadMode {
  /** Ids, the event and the changed field names: the body of every release before values. */
  IDS,
  /** Also {@code data.changes}: {field: {old, new}} of the captured fields, net of merges. */
  CHANGES,
  /** Also {@code data.record}: the record's chosen fields as they are when the delivery is sent. */
  RECORD;

  public String sqlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static PayloadMode fromSql(String value) {
    return value == null ? IDS : valueOf(value.toUpperCase(Locale.ROOT));
  }
}
