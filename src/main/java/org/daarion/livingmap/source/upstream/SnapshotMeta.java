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

  private record Built(UpstreamPoller poller, JsonObject sources, JsonObject meta) {}

  /**
   * The last meta built and what it was built from. Every snapshot request asks for the meta, and
   * at 100x DAARION a copy and a deep comparison of the sources' 10 KB per request cost more than
   * sending the prepared bytes; the poller replaces its sources JSON only when it publishes.
   */
  private volatile Built last;

  /** The current meta, shared: the same instance until the poller publishes. Never change it. */
  @Override
  public JsonObject get() {
    UpstreamPoller p = poller.get();
    JsonObject sources = p == null ? null : p.sourcesShared();
    Built b = last;
    if (b != null && b.poller() == p && b.sources() == sources) {
      return b.meta();
    }
    JsonArray services = new JsonArray();
    if (p != null) {
      p.sourceServices().forEach(services::add);
    }
    JsonObject meta = new JsonObject().put("source_services", services).put("version", version);
    if (withSources) {
      meta.put("sources", sources == null ? new JsonObject() : sources.copy());
    }
    last = new Built(p, sources, meta);
    return meta;
  }
}
