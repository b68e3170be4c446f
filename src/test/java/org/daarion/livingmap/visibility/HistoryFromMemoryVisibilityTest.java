package org.daarion.livingmap.visibility;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.daarion.livingmap.visibility.VisibilityWorld.ADMIN;
import static org.daarion.livingmap.visibility.VisibilityWorld.READER;
import static org.daarion.livingmap.visibility.VisibilityWorld.leaks;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.daarion.livingmap.history.HistoryStore;
import org.daarion.livingmap.testing.Http;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * History pages answered from memory (more rows than the exact count's cap in the recent window)
 * pass the same door as those read from PostgreSQL: a reader without the space layer's role sees no
 * DAO, an admin does, and the metric says memory answered both.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HistoryFromMemoryVisibilityTest {
  private static final Pattern MEMORY_PAGES =
      Pattern.compile("living_map_history_pages_total\\{source=\"memory\",?} ([0-9.E]+)");

  private VisibilityWorld world;
  private Http http;
  private Set<String> hidden;

  @BeforeAll
  void start() throws Exception {
    world =
        new VisibilityWorld(
            // The space layer (DAOs) hidden: few rows, so a reader's page too has more than the
            // exact count's cap of visible rows in memory.
            "space=living-map:ops", 200, Map.of("LIVING_MAP_SIM_RATE", "2000"));
    http = world.http;
    hidden = world.hiddenIds(Set.of("dao"));
  }

  @AfterAll
  void stop() {
    world.close();
  }

  private double memoryPages() {
    Matcher m = MEMORY_PAGES.matcher(http.get("/metrics", ADMIN).body());
    assertThat(m.find()).as("the pages metric is exported").isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void aReaderSeesNoHiddenLayerInPagesFromMemory() {
    // Enough recent rows that memory answers the reader's newest page (seen on the metric). The
    // reader's, not the admin's: memory answers only above TOTAL_CAP matching rows, and the
    // reader's rows are fewer (hidden layers), so the admin's page came from memory first while
    // the reader's still came from PostgreSQL (seen in CI: 9,730 visible rows).
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              double before = memoryPages();
              http.get(
                  "/living-map/history?limit=300&event_type=" + VisibilityWorld.enc(">"), READER);
              return memoryPages() > before;
            });
    String jwt;
    try {
      jwt = VisibilityWorld.jwt("reader-jwt", "living-map:read");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    for (String path :
        List.of(
            "/living-map/history?limit=1000",
            "/living-map/history?limit=1000&offset=500",
            "/living-map/history?limit=300&event_type=" + VisibilityWorld.enc(">"))) {
      double before = memoryPages();
      Http.Response admin = http.get(path, ADMIN);
      assertThat(admin.status()).isEqualTo(200);
      assertThat(leaks(admin.body(), hidden)).as("the oracle sees hidden rows").isNotEmpty();
      for (String[] caller : List.of(READER, new String[] {"Authorization", "Bearer " + jwt})) {
        Http.Response r = http.get(path, caller);
        assertThat(r.status()).as(path).isEqualTo(200);
        assertThat(leaks(r.body(), hidden)).as(path).isEmpty();
        JsonObject page = r.json();
        assertThat(page.getJsonArray("items")).as(path).isNotEmpty();
        assertThat(page.getLong("total")).isGreaterThan((long) HistoryStore.TOTAL_CAP);
        assertThat(page.getBoolean("has_more")).isTrue();
      }
      assertThat(memoryPages()).as("%s answered from memory", path).isEqualTo(before + 3);
    }
  }
}
