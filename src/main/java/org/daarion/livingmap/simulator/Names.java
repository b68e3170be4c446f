package org.daarion.livingmap.simulator;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DAARION flavour (names, ids, time formats) for the simulated network. Ids follow the fixtures'
 * convention: synthetic but valid UUIDs whose first group names the table.
 */
final class Names {
  private Names() {}

  static final Instant BASE_TIME = Instant.parse("2025-11-24T08:00:00Z");

  /** slug, name, description, district, orchestrator agent name, orchestrator display name. */
  static final List<String[]> MICRODAOS =
      List.of(
          new String[] {
            "daarion",
            "DAARION DAO",
            "Децентралізована платформа для AI-агентів та microDAO",
            "Core",
            "daarwizz",
            "DAARWIZZ"
          },
          new String[] {
            "energy-union",
            "Energy Union",
            "Energy optimization & sustainability",
            "Energy",
            "helion",
            "Helion"
          },
          new String[] {
            "clan", "Clan Network", "Community & social bonding", "Clan", "clan", "Clan Bot"
          },
          new String[] {
            "druid", "Druid Circle", "Nature & wisdom preservation", "Labs", "druid", "Druid"
          },
          new String[] {
            "quantum-garden",
            "Quantum Garden",
            "Research commons for quantum-inspired agents",
            "Labs",
            "qubit",
            "Qubit"
          },
          new String[] {
            "greenfood", "GreenFood Coop", "Local food supply chains", "Market", "gaia", "Gaia"
          },
          new String[] {
            "nutra", "Nutra Lab", "Nutrition science and wellbeing", "Labs", "nutra", "Nutra"
          },
          new String[] {
            "soul", "Soul Retreat", "Mindfulness and retreats", "Harbor", "soul", "Soul Guide"
          },
          new String[] {
            "yaromir", "Yaromir Guild", "Builders and makers guild", "Forge", "yaromir", "Yaromir"
          },
          new String[] {
            "alteria", "Alteria Hub", "Creative studio for media agents", "Arts", "muse", "Muse"
          },
          new String[] {
            "eonarch", "Eonarch Studio", "Long-term foresight and strategy", "Core", "eon", "Eon"
          },
          new String[] {"helix", "Helix Bio", "Open biotech collective", "Labs", "helix", "Helix"});

  /** slug, name, description of the first DAOs (the rest are generated). */
  static final List<String[]> DAOS =
      List.of(
          new String[] {
            "daarion-governance",
            "DAARION Governance",
            "Децентралізоване управління екосистемою DAARION"
          },
          new String[] {
            "energy-union-council",
            "Energy Union Council",
            "Governance for the Energy Union microDAO"
          },
          new String[] {"aurora-circle", "Aurora Circle", "Treasury and grants for the commons"},
          new String[] {"clan-assembly", "Clan Assembly", "Community assembly of the Clan"},
          new String[] {"druid-council", "Druid Council", "Stewardship of the Druid Circle"});

  static final List<String> PROPOSAL_TITLES =
      List.of(
          "Гранти для операторів нод",
          "Budget Allocation 2025",
          "Increase GPU quota for research agents",
          "Onboard three new microDAOs",
          "Fund the Matrix bridge upgrade",
          "Lower quorum to 15%",
          "Community quests for Q1",
          "Audit of the treasury contracts",
          "Розширення мережі нод у Європі",
          "Adopt deepseek-r1 for analysts");

  static final List<String> AGENT_NAMES =
      List.of(
          "nova",
          "atlas",
          "echo",
          "iris",
          "orion",
          "vega",
          "lyra",
          "kai",
          "mira",
          "nika",
          "taras",
          "olena",
          "bohdan",
          "zoya",
          "max",
          "ada",
          "turing",
          "hopper",
          "lovelace",
          "tesla");

  /** kind, description, tools. */
  static final List<String[]> KINDS =
      List.of(
          new String[] {"assistant", "Допомагає з управлінням проєктами та задачами"},
          new String[] {"analyst", "Аналітик даних та метрик"},
          new String[] {"guardian", "Захисник безпеки системи"},
          new String[] {"orchestrator", "Координує агентів microDAO"},
          new String[] {"steward", "Доглядає за нодами та ресурсами"},
          new String[] {"researcher", "Досліджує та узагальнює знання"},
          new String[] {"moderator", "Модерує канали спільноти"});

  static List<String> toolsOf(String kind) {
    return switch (kind) {
      case "assistant" -> List.of("projects.list", "task.create");
      case "analyst" -> List.of("metrics.get", "analytics.run");
      case "guardian" -> List.of("security.check", "compliance.verify");
      case "orchestrator" -> List.of("agents.dispatch", "task.create");
      case "steward" -> List.of("nodes.inspect", "metrics.get");
      case "researcher" -> List.of("web.search", "docs.summarize");
      default -> List.of("messages.moderate");
    };
  }

  static String toolName(String toolId) {
    StringBuilder sb = new StringBuilder();
    String[] parts = toolId.split("[._]");
    for (int i = parts.length - 1; i >= 0; i--) {
      String p = parts[i];
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1));
    }
    return sb.toString();
  }

  /** model, provider. */
  static final List<String[]> MODELS =
      List.of(
          new String[] {"gpt-4.1-mini", "openai"},
          new String[] {"deepseek-r1", "deepseek"},
          new String[] {"qwen2.5-72b", "ollama"},
          new String[] {"llama-3.1-70b", "ollama"},
          new String[] {"claude-3.5-sonnet", "anthropic"},
          new String[] {"mistral-large", "mistral"});

  static String providerOf(String model) {
    for (String[] m : MODELS) {
      if (m[0].equals(model)) {
        return m[1];
      }
    }
    return "openai";
  }

  static final List<String> NODE_ADJECTIVES =
      List.of(
          "Quantum", "Atlas", "Nebula", "Aurora", "Solar", "Iron", "Crystal", "Silent", "Amber",
          "Cobalt", "Polar", "Vertex");
  static final List<String> NODE_NOUNS =
      List.of("Relay", "Engine", "Forge", "Harbor", "Beacon", "Core", "Spire", "Vault", "Loom");

  static final List<String[]> GPUS =
      List.of(
          new String[] {"NVIDIA RTX 4000 SFF Ada Generation", "20"},
          new String[] {"NVIDIA RTX A5000", "24"},
          new String[] {"NVIDIA A100", "40"},
          new String[] {"NVIDIA L40S", "48"},
          new String[] {"NVIDIA H100", "80"});

  static final List<String> CHANNEL_NAMES =
      List.of("general", "governance", "dev", "agents", "random", "announcements");

  static String uuid(String prefix, long n) {
    return String.format(Locale.ROOT, "%s-0000-4000-8000-%012d", prefix, n);
  }

  static String agentUuid(long n) {
    return uuid("a9000007", n);
  }

  static String blueprintUuid(long n) {
    return uuid("b1000007", n);
  }

  static String microdaoUuid(long n) {
    return uuid("3d000008", n);
  }

  static String memberUuid(long n) {
    return uuid("3e000008", n);
  }

  static String daoUuid(long n) {
    return uuid("da000009", n);
  }

  static String proposalUuid(long n) {
    return uuid("9a000009", n);
  }

  static String voteUuid(long n) {
    return uuid("7e000009", n);
  }

  static String userUuid(long n) {
    return uuid("05e40000", n);
  }

  static String channelUuid(long n) {
    return uuid("c4000001", n);
  }

  static String messageUuid(long n) {
    return uuid("e5000001", n);
  }

  // Time formats as the DAARION services write them (see the fixtures' README).

  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter SPACED_MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** {@code 2025-11-28T10:32:00Z}: our own subjects (node, agent and city events). */
  static String isoSeconds(Instant t) {
    return SECONDS.format(t) + "Z";
  }

  /** {@code 2025-11-28T10:31:10.561000Z}: usage-engine events and DB timestamps via pydantic. */
  static String isoMicrosZ(Instant t) {
    return MICROS.format(t.truncatedTo(ChronoUnit.MICROS)) + "Z";
  }

  /** {@code 2025-11-28T10:12:44.309871+00:00}: Python's {@code datetime.now(utc).isoformat()}. */
  static String isoOffset(Instant t) {
    return MICROS.format(t.truncatedTo(ChronoUnit.MICROS)) + "+00:00";
  }

  /** {@code 2025-12-01T08:00:12.448120}: Python's naive {@code utcnow().isoformat()}. */
  static String naive(Instant t) {
    return MICROS.format(t.truncatedTo(ChronoUnit.MICROS));
  }

  /** {@code 2025-11-29 07:58:41.305217+00:00}: Python's {@code str(datetime)}. */
  static String spaced(Instant t) {
    return SPACED_MICROS.format(t.truncatedTo(ChronoUnit.MICROS)) + "+00:00";
  }

  /** An insertion-ordered map from alternating keys and values (Map.of's order varies by run). */
  static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

  static double round(double v, int decimals) {
    double f = Math.pow(10, decimals);
    return Math.round(v * f) / f;
  }
}
