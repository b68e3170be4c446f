package org.daarion.livingmap.reliability;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.daarion.livingmap.testing.Http;

/**
 * Numbered test events and the checks that each one is in history exactly once and counted once in
 * the live state. Every event is a {@code usage.agent} event for one of {@link #AGENTS} agents (the
 * reducer adds one to that agent's {@code usage.invocations_24h}), with a unique {@code marker} in
 * its payload and a unique {@code Nats-Msg-Id}.
 */
final class Ledger {
  static final String SUBJECT = "usage.agent";
  static final int AGENTS = 20;

  private final String run;
  private final String jdbcUrl;

  /**
   * @param run a tag that keeps this run's agents and markers apart (agents {@code <run>-<k>})
   */
  Ledger(String run, String jdbcUrl) {
    this.run = run;
    this.jdbcUrl = jdbcUrl;
  }

  String agent(int k) {
    return run + "-" + k;
  }

  byte[] payload(int marker) {
    return new JsonObject()
        .put("agent_id", agent(marker % AGENTS))
        .put("marker", marker)
        .put("run", run)
        .put("duration_ms", 5)
        .encode()
        .getBytes(StandardCharsets.UTF_8);
  }

  String msgId(int marker) {
    return run + "-" + marker;
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl);
  }

  /** Rows in history for this run (0 while the table does not exist yet). */
  long rows() {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM living_map_history WHERE event_type = ? AND payload->>'run' = ?")) {
      ps.setString(1, SUBJECT);
      ps.setString(2, run);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return 0;
      }
      throw new IllegalStateException(e);
    }
  }

  /** What history says about markers 0..n-1 of this run. */
  record Audit(
      long rows,
      long distinctMarkers,
      long distinctMsgIds,
      List<Integer> missing,
      List<Integer> doubled,
      long unsequenced) {}

  Audit audit(int n) throws SQLException {
    try (Connection c = connect()) {
      long rows;
      long distinct;
      long distinctMsg;
      long unsequenced;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT count(*), count(DISTINCT payload->>'marker'), count(DISTINCT msg_id),"
                  + " count(*) FILTER (WHERE seq IS NULL OR seq < 1 OR epoch IS NULL)"
                  + " FROM living_map_history WHERE event_type = ? AND payload->>'run' = ?")) {
        ps.setString(1, SUBJECT);
        ps.setString(2, run);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          rows = rs.getLong(1);
          distinct = rs.getLong(2);
          distinctMsg = rs.getLong(3);
          unsequenced = rs.getLong(4);
        }
      }
      List<Integer> missing = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT g FROM generate_series(0, ? - 1) g WHERE NOT EXISTS (SELECT 1 FROM"
                  + " living_map_history h WHERE h.event_type = ? AND h.payload->>'run' = ? AND"
                  + " (h.payload->>'marker')::int = g) ORDER BY g LIMIT 20")) {
        ps.setInt(1, n);
        ps.setString(2, SUBJECT);
        ps.setString(3, run);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            missing.add(rs.getInt(1));
          }
        }
      }
      List<Integer> doubled = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT (payload->>'marker')::int FROM living_map_history WHERE event_type = ? AND"
                  + " payload->>'run' = ? GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 20")) {
        ps.setString(1, SUBJECT);
        ps.setString(2, run);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            doubled.add(rs.getInt(1));
          }
        }
      }
      return new Audit(rows, distinct, distinctMsg, missing, doubled, unsequenced);
    }
  }

  /**
   * The sum of {@code usage.invocations_24h} over this run's agents in the live state, read through
   * {@code GET /living-map/entities/{id}}.
   */
  long appliedInState(Http http) {
    long sum = 0;
    for (int k = 0; k < AGENTS; k++) {
      Http.Response r = http.get("/living-map/entities/agent:" + agent(k));
      if (r.status() == 404) {
        continue;
      }
      if (r.status() != 200) {
        throw new IllegalStateException("entity agent:" + agent(k) + ": " + r.status());
      }
      JsonObject usage = r.json().getJsonObject("data").getJsonObject("usage");
      sum += usage == null ? 0 : usage.getLong("invocations_24h", 0L);
    }
    return sum;
  }
}
