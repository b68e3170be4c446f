package org.daarion.livingmap.source.upstream;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.daarion.livingmap.event.EntityIds;

/**
 * usage-engine. Spec path {@code GET /internal/usage/summary?period_hours=24} ({@code agents[]}
 * inside the summary), fallback {@code GET /internal/usage/agents} ({@code {agents:[…]}}). Each
 * agent's 24 h counters become {@code usage} on {@code agent:<id>}. Complete for no type: usage
 * never creates or removes an agent, it only updates agents that exist.
 */
final class UsageAdapter extends Adapter {
  static final String SUMMARY = "/internal/usage/summary?period_hours=24";
  static final String AGENTS = "/internal/usage/agents";

  private final Fallback fallback;

  UsageAdapter(UpstreamHttp http) {
    super(http);
    fallback = new Fallback(http.policy().specRetryEvery());
  }

  @Override
  protected Future<PatchSet> doFetch(Report r) {
    return fallback
        .run(() -> agents(SUMMARY, r), () -> agents(AGENTS, r))
        .map(
            served -> {
              r.fallback = served.used() == Fallback.Used.FALLBACK;
              return served.value();
            });
  }

  private Future<PatchSet> agents(String path, Report r) {
    return required(path, r)
        .compose(
            reply ->
                parse(
                    () -> {
                      Parsed parsed =
                          parseItems(
                              reply, Fields.list(reply, "agents", "items"), UsageAdapter::usage);
                      if (!parsed.allValid()) {
                        skipped(r, reply);
                      }
                      PatchSet set = new PatchSet();
                      set.addAll(parsed.patches());
                      return set;
                    }));
  }

  /** One {@code AgentUsage}. */
  static PatchSet.Patch usage(JsonObject o) {
    String ref = Fields.str(o, "agent_id");
    if (ref == null) {
      return null;
    }
    JsonObject usage = new JsonObject();
    Fields.put(usage, "llm_calls_24h", Fields.integer(o, "llm_calls"));
    Fields.put(usage, "tokens_24h", Fields.integer(o, "total_tokens"));
    Fields.put(usage, "messages_24h", Fields.integer(o, "messages_sent"));
    Fields.put(usage, "invocations_24h", Fields.integer(o, "invocations"));
    Fields.put(usage, "tool_calls_24h", Fields.integer(o, "tool_calls"));
    if (usage.isEmpty()) {
      return null;
    }
    return new PatchSet.Patch("agent", EntityIds.canonical("agent", ref)).field("usage", usage);
  }
}
