// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.delivery.broker;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * A broker subscriber's credentials, a webhook_broker_credential row: a user name and password
 * (Kafka SASL, NATS user) or a token (NATS). Kept like the subscriber's secret: never in a URL,
 * never logged ({@link #toString} masks them), never listed. Immutable.
 */
public record BrokerCredentials(String username, String password, String token) {
  public static final BrokerCredentials NONE = new BrokerCredentials(null, null, null);

  /** Every subscriber's credentials, by subscriber id. */
  static Map<Long, BrokerCredentials> readAll(Database db) throws SQLException {
    Map<Long, BrokerCredentials> all = new HashMap<>();
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT subscriber_id, username, password, token FROM webhook_broker_credential")) {
      while (rs.next()) {
        all.put(
            rs.getLong(1),
            new BrokerCredentials(rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    return all;
  }

  @Override
  public String toString() {
    return "BrokerCredentials[username="
        + (username == null ? "none" : "<masked>")
        + ", password="
        + (password == null ? "none" : "<masked>")
        + ", token="
        + (token == null ? "none" : "<masked>")
        + "]";
  }
}
