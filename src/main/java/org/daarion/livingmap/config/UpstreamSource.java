package org.daarion.livingmap.config;

/** The six upstream DAARION services Living Map polls (CONTRACT section 4). */
public enum UpstreamSource {
  CITY("city-service", Settings.CITY_SERVICE_URL),
  SPACE("space-service", Settings.SPACE_SERVICE_URL),
  USAGE("usage-engine", Settings.USAGE_ENGINE_URL),
  AGENTS("agents-service", Settings.AGENTS_SERVICE_URL),
  MICRODAO("microdao-service", Settings.MICRODAO_SERVICE_URL),
  DAO("dao-service", Settings.DAO_SERVICE_URL);

  private final String serviceName;
  private final Setting setting;

  UpstreamSource(String serviceName, Setting setting) {
    this.serviceName = serviceName;
    this.setting = setting;
  }

  /** The service's name as DAARION knows it, also used in {@code meta.source_services}. */
  public String serviceName() {
    return serviceName;
  }

  public Setting setting() {
    return setting;
  }
}
