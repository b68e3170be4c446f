package org.daarion.livingmap.source.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * A snapshot's {@code meta}: the upstream services it draws on, the service version, and (on one
 * instance) this instance's view of its upstream polls. The poller comes later than the first
 * snapshot can be asked for, so it is read on each call and may be null.
 */
public final class SnapshotMeta implements Supplier<JsonObject> {
  private final Supplier<UpstreamPoller> poller;
  private final boolean withSources;
  private final String version;

  /**
   * @param withSources false in cluster mode: replicas at one seq must serve the same bytes, and
   *     each polls on its own; each replica's view is at /living-map/sources and in /health
   */
  public SnapshotMeta(Supplier<UpstreamPoller> poller, boolean withSources, String version) {
    this.poller = poller;
    this.withSources = withSources;
    this.version = version;
  }

  @Override
  public JsonObject get() {
    JsonArray services = new JsonArray();
    JsonObject sources = new JsonObject();
    UpstreamPoller p = poller.get();
    if (p != null) {
      p.sourceServices().forEach(services::add);
      sources = p.sourcesJson();
    }
    JsonObject meta = new JsonObject().put("source_services", services).put("version", version);
    if (withSources) {
      meta.put("sources", sources);
    }
    return meta;
  }
}
