package org.daarion.livingmap.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsTest {
  /**
   * Micrometer holds a function counter's object weakly: a supplier only the meter knows must still
   * be read after a collection, not NaN.
   */
  @Test
  void functionCountersOutliveACollectionOfTheirSuppliers() {
    try (Metrics m = new Metrics()) {
      m.alertEvaluation(
          new java.util.function.Supplier<Number>() {
            @Override
            public Number get() {
              return 2_000_000_000L;
            }
          });
      m.historyWriterBusy(
          new java.util.function.Supplier<Number>() {
            @Override
            public Number get() {
              return 3_000_000_000L;
            }
          });
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
      assertThat(m.scrape())
          .contains(
              "living_map_alert_evaluation_seconds_total 2.0",
              "living_map_history_writer_busy_seconds_total 3.0");
    }
  }

  @Test
  void helpersRegisterTheDocumentedNames() {
    try (Metrics m = new Metrics()) {
      m.wsConnections(() -> 3);
      m.wsConnected();
      m.wsMessagesSent(10);
      m.wsMessagesCompressed(4);
      m.wsResync();
      m.wsDrop("slow");
      m.wsRefused("rate_limited");
      m.ingested("nats", 5);
      m.ingestRejected("not_json");
      m.ingestLag(Duration.ofMillis(20));
      m.stateQueueDepth(() -> 1);
      m.stateEntities(() -> 100);
      m.stateSeq(() -> 42);
      m.historyBatch(250, Duration.ofMillis(12));
      m.historyFailure();
      m.historyQueueDepth(() -> 7);
      m.sourceUp("city-service", () -> true);
      m.sourceStaleness("city-service", () -> 4.5);
      m.sourcePoll("city-service", "ok", Duration.ofMillis(80));
      m.alertsFiring(() -> 2);
      m.alertEvaluation(() -> 1_500_000_000L);
      m.gauge("living_map_custom_thing", () -> 9);
      String text = m.scrape();
      assertThat(text)
          .contains(
              "living_map_ws_connections 3.0",
              "living_map_ws_connects_total 1.0",
              "living_map_ws_messages_sent_total 10.0",
              "living_map_ws_messages_compressed_total 4.0",
              "living_map_ws_resyncs_total 1.0",
              "living_map_ws_drops_total{reason=\"slow\"} 1.0",
              "living_map_ws_refused_total{reason=\"rate_limited\"} 1.0",
              "living_map_ingest_events_total{source=\"nats\"} 5.0",
              "living_map_ingest_rejected_total{reason=\"not_json\"} 1.0",
              "living_map_ingest_lag_seconds_count 1",
              "living_map_state_queue_depth 1.0",
              "living_map_state_entities 100.0",
              "living_map_state_seq 42.0",
              "living_map_history_batch_size_sum 250.0",
              "living_map_history_write_seconds_count 1",
              "living_map_history_write_failures_total 1.0",
              "living_map_history_events_written_total 250.0",
              "living_map_history_queue_depth 7.0",
              "living_map_source_up{source=\"city-service\"} 1.0",
              "living_map_source_staleness_seconds{source=\"city-service\"} 4.5",
              "living_map_source_poll_seconds_count{outcome=\"ok\",source=\"city-service\"} 1",
              "living_map_alerts_firing 2.0",
              "living_map_alert_evaluation_seconds_total 1.5",
              "living_map_custom_thing 9.0",
              "jvm_memory_used_bytes",
              "jvm_gc_",
              "jvm_threads_live_threads",
              "process_cpu_usage",
              "process_uptime_seconds",
              "process_files_open_files");
    }
  }
}
