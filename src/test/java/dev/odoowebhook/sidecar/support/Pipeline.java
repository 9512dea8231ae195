// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import dev.odoowebhook.sidecar.Sidecar;
import dev.odoowebhook.sidecar.delivery.WebhookSigner;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A whole pipeline for one test class: a migrated test database with res_partner tracked, a real
 * receiver on 127.0.0.1, and an in-process sidecar started on demand.
 */
public final class Pipeline implements AutoCloseable {
  public final TestDatabase db;
  public final Receiver receiver = new Receiver();
  public final String secret = WebhookSigner.newSecret();
  private Sidecar sidecar;

  public Pipeline() {
    db = TestDatabase.createMigrated();
    db.exec("SELECT webhook_track('res.partner')");
  }

  /** A subscriber to res.partner at the receiver; extra columns as SQL, e.g. "max_retries", "2". */
  public long subscribe(String name, String extraColumns, String extraValues) {
    return db.addSubscriber(name, receiver.url(), secret, extraColumns, extraValues);
  }

  public Sidecar startSidecar(Map<String, String> settings) {
    try {
      sidecar = Sidecar.start(db.config(settings));
      return sidecar;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public void stopSidecar() {
    if (sidecar != null) {
      sidecar.stop();
      sidecar = null;
    }
  }

  /** Removes data between tests of one class; subscribers too. */
  public void reset() {
    stopSidecar();
    // res_partner first: a TRUNCATE of a tracked table is announced (an unlink per row).
    db.exec(
        "TRUNCATE res_partner RESTART IDENTITY;"
            + " TRUNCATE webhook_attempt, webhook_delivery, webhook_event, webhook_subscriber CASCADE");
    receiver.clear();
    receiver.respondWith(r -> Receiver.Response.ok());
  }

  public long partner(String name) {
    return db.count("INSERT INTO res_partner (name) VALUES (?) RETURNING id", name);
  }

  public String statuses() {
    return db
        .rows(
            "SELECT id, status, event, attempts, last_error_type FROM webhook_delivery ORDER BY id")
        .stream()
        .map(Object::toString)
        .collect(Collectors.joining("; "));
  }

  public void awaitStatus(long deliveryCount, String status, Duration timeout) {
    Await.until(
        deliveryCount + " deliveries " + status,
        timeout,
        () ->
            db.count("SELECT count(*) FROM webhook_delivery WHERE status = ?", status)
                == deliveryCount,
        this::statuses);
  }

  public List<Receiver.Request> answered2xx() {
    return receiver.requests();
  }

  @Override
  public void close() {
    stopSidecar();
    receiver.close();
    db.close();
  }
}
