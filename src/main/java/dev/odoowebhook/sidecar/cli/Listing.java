// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.cli;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The printing of the list commands ({@code subscriber list}, {@code token list}): a query's rows
 * as fixed-width columns under a header line. One format (only {@code %s} conversions, widths and
 * flags) serves the header and the rows, so they line up.
 */
final class Listing {
  private Listing() {}

  /** One row's cells, in the columns' order. */
  interface Cells {
    List<Object> of(ResultSet rs) throws SQLException;
  }

  static void print(
      Command.Context ctx, String sql, String format, List<String> headers, Cells cells)
      throws SQLException {
    try (Connection c = ctx.db().connection();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      ctx.out().printf(format + "%n", headers.toArray());
      while (rs.next()) {
        ctx.out().printf(format + "%n", cells.of(rs).toArray());
      }
    }
  }
}
