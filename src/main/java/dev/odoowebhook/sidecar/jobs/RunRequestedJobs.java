// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.jobs;

import dev.odoowebhook.sidecar.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the cleanup when an admin asked for it now (webhook_request_job('cleanup'): the addon's "Run
 * now", or psql), looked for every few seconds; one sidecar takes each request
 * (webhook_pick_job_request, SKIP LOCKED) and records how it ended.
 */
public final class RunRequestedJobs {
  private static final Logger log = LoggerFactory.getLogger(RunRequestedJobs.class);
  private final Database db;
  private final String instanceId;
  private final CleanupJob cleanup;

  public RunRequestedJobs(Database db, String instanceId, CleanupJob cleanup) {
    this.db = db;
    this.instanceId = instanceId;
    this.cleanup = cleanup;
  }

  /** Runs the cleanup once per waiting request. */
  public void run() throws SQLException {
    Long request;
    while ((request = pick()) != null) {
      log.info("Cleanup requested by an admin (request {}): running it now.", request);
      String error = null;
      try {
        if (cleanup.run() == null) {
          error =
              "Another sidecar was running the cleanup at that moment; its run is in the job history.";
        }
      } catch (SQLException | RuntimeException e) {
        error = e.getMessage();
      }
      finish(request, error == null ? cleanup.lastRunId() : 0, error);
    }
  }

  private Long pick() throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT webhook_pick_job_request('cleanup', ?)")) {
      ps.setString(1, instanceId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long id = rs.getLong(1);
        return rs.wasNull() ? null : id;
      }
    }
  }

  private void finish(long request, long runId, String error) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT webhook_finish_job_request(?, ?, ?)")) {
      ps.setLong(1, request);
      if (runId == 0) {
        ps.setNull(2, Types.BIGINT);
      } else {
        ps.setLong(2, runId);
      }
      ps.setString(3, error);
      ps.executeQuery().close();
    }
  }
}
