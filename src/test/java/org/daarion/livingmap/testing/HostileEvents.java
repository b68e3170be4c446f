package org.daarion.livingmap.testing;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of events as a hostile publisher would send them: the subjects the reducers know,
 * fields they read, and values of every JSON type, including numbers a double cannot hold ({@code
 * 1e400}, 400 digits), strings that look like numbers ({@code "Infinity"}), control characters,
 * deep nesting and wrong types. The JSON text is written by hand so that such numbers reach the
 * parser as they were sent.
 */
public final class HostileEvents {
  private HostileEvents() {}

  /** One event as it arrives on a bus: subject and payload text. */
  public record Raw(String subject, String json) {}

  public static final List<String> SUBJECTS =
      List.of(
          "node.metrics.n1",
          "node.metrics.n2",
          "agent.event.status",
          "usage.llm",
          "usage.agent",
          "messaging.message.created",
          "dao.event.created",
          "dao.event.updated",
          "dao.event.treasury_updated",
          "dao.event.member_added",
          "dao.event.member_removed",
          "dao.event.proposal_created",
          "dao.event.proposal_closed",
          "dao.event.vote_cast",
          "dao.event.deleted",
          "microdao.event.created",
          "microdao.event.updated",
          "microdao.event.member_added",
          "microdao.event.treasury_updated",
          "living_map.entity.added",
          "living_map.entity.updated",
          "living_map.entity.removed",
          "city.event.alert",
          "something.else");

  private static final List<String> FIELDS =
      List.of(
          "node_id",
          "agent_id",
          "cpu",
          "gpu",
          "ram",
          "temperature",
          "status",
          "latency_ms",
          "total_tokens",
          "model",
          "dao_id",
          "slug",
          "name",
          "new_balance",
          "token_symbol",
          "changes",
          "entity_id",
          "entity_type",
          "entity",
          "microdao_id",
          "channel_id",
          "sender_id",
          "sender_type",
          "proposal_id",
          "ts",
          "orbits",
          "metrics",
          "usage",
          "members");

  /** Ids from a small pool, so that events meet the same entities. */
  private static Arbitrary<String> idText() {
    return Arbitraries.of(
        "n1",
        "node:n1",
        "n2",
        "a1",
        "agent:a1",
        "u-1",
        "alpha",
        "dao:alpha",
        "m1",
        "3d000008-0000-4000-8000-000000000001",
        "c1",
        "node",
        "agent",
        "dao",
        "microdao",
        "online",
        "busy",
        "active",
        "agent",
        "active");
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** A JSON value as text, {@code depth} levels of nesting left. */
  public static Arbitrary<String> value(int depth) {
    Arbitrary<String> scalar =
        Arbitraries.oneOf(
            idText().map(HostileEvents::quote),
            Arbitraries.strings().ofMaxLength(12).map(HostileEvents::quote),
            Arbitraries.of(
                    "Infinity",
                    "-Infinity",
                    "NaN",
                    "1e400",
                    "-0",
                    "",
                    "\u0000",
                    "💥",
                    "2026-01-01T00:00:00Z",
                    "1002500.00000000",
                    "null")
                .map(HostileEvents::quote),
            Arbitraries.integers().map(String::valueOf),
            Arbitraries.longs().map(String::valueOf),
            Arbitraries.doubles().map(String::valueOf),
            Arbitraries.of(
                "1e400",
                "-1e400",
                "1.7976931348623157e308",
                "-1.7976931348623157e308",
                "4.9e-324",
                "0",
                "-0",
                "0.95",
                "99",
                "1" + "0".repeat(400),
                "-" + "9".repeat(30),
                "true",
                "false",
                "null"));
    if (depth <= 0) {
      return scalar;
    }
    Arbitrary<String> object =
        Combinators.combine(Arbitraries.of(FIELDS), value(depth - 1))
            .as((k, v) -> quote(k) + ":" + v)
            .list()
            .ofMaxSize(4)
            .map(kv -> "{" + String.join(",", kv) + "}");
    Arbitrary<String> array =
        value(depth - 1).list().ofMaxSize(3).map(vs -> "[" + String.join(",", vs) + "]");
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, scalar),
        net.jqwik.api.Tuple.of(1, object),
        net.jqwik.api.Tuple.of(1, array));
  }

  /** A payload object: known fields mostly, with any value. */
  public static Arbitrary<String> payload() {
    return Combinators.combine(Arbitraries.of(FIELDS), value(2))
        .as((k, v) -> quote(k) + ":" + v)
        .list()
        .ofMaxSize(8)
        .map(kv -> "{" + String.join(",", kv) + "}");
  }

  public static Arbitrary<Raw> event() {
    return Combinators.combine(Arbitraries.of(SUBJECTS), payload()).as(Raw::new);
  }
}
