package org.daarion.livingmap.api;

import java.util.HashMap;
import java.util.Map;
import org.daarion.livingmap.config.Config;

/** Config for a whole service under test: free ports, a temporary data directory. */
final class TestApps {
  private TestApps() {}

  static Config config(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("LIVING_MAP_HOST", "127.0.0.1");
    env.put("LIVING_MAP_SIM_PORT", "0");
    env.putAll(overrides);
    return Config.of(env);
  }
}
