package org.daarion.livingmap.simulator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutable entities of the simulated network. Package-private: every field is read and written
 * only while holding {@link SimulatedNetwork}'s lock.
 */
final class SimEntities {
  private SimEntities() {}

  /** A member of a microDAO (a row of microdao-service's members table). */
  static final class Member {
    final String memberId;
    final String userId;
    final String role;

    Member(String memberId, String userId, String role) {
      this.memberId = memberId;
      this.userId = userId;
      this.role = role;
    }
  }

  static final class Microdao {
    final String id; // UUID
    final String slug;
    String name;
    String description;
    final String district;
    final String ownerUserId;
    final Instant createdAt;
    Instant updatedAt;
    boolean active = true;
    final List<Member> members = new ArrayList<>();
    final Map<String, BigDecimal> treasury = new LinkedHashMap<>();
    double activity;

    /** Made once: the lookups by id compare it for every entity (see SimulatedNetwork#findDao). */
    private final String externalId;

    Microdao(
        String id,
        String slug,
        String name,
        String description,
        String district,
        String ownerUserId,
        Instant createdAt) {
      this.id = id;
      this.slug = slug;
      this.name = name;
      this.description = description;
      this.district = district;
      this.ownerUserId = ownerUserId;
      this.createdAt = createdAt;
      this.updatedAt = createdAt;
      this.externalId = "microdao:" + slug;
    }

    String externalId() {
      return externalId;
    }
  }

  static final class Proposal {
    final String id; // UUID
    final String slug;
    final String title;
    final String createdBy;
    String status; // draft | active | closed
    String finalStatus; // passed | rejected, when closed
    int yes;
    int no;
    int abstain;
    int votesNeeded; // votes to collect before the proposal may close

    Proposal(String id, String slug, String title, String createdBy, String status) {
      this.id = id;
      this.slug = slug;
      this.title = title;
      this.createdBy = createdBy;
      this.status = status;
    }

    int votes() {
      return yes + no + abstain;
    }
  }

  static final class Dao {
    final String id; // UUID
    final String slug;
    final String name;
    final String description;
    final Microdao microdao;
    final String ownerUserId;
    final Instant createdAt;
    int members;
    final Map<String, BigDecimal> treasury = new LinkedHashMap<>();
    final List<Proposal> proposals = new ArrayList<>();
    double activity;
    final double x;
    final double y;
    final double z;

    /** Made once, as {@link Microdao#externalId()}. */
    private final String externalId;

    Dao(
        String id,
        String slug,
        String name,
        String description,
        Microdao microdao,
        String ownerUserId,
        Instant createdAt,
        double x,
        double y,
        double z) {
      this.id = id;
      this.slug = slug;
      this.name = name;
      this.description = description;
      this.microdao = microdao;
      this.ownerUserId = ownerUserId;
      this.createdAt = createdAt;
      this.x = x;
      this.y = y;
      this.z = z;
      this.externalId = "dao:" + slug;
    }

    String externalId() {
      return externalId;
    }

    long activeProposals() {
      return proposals.stream().filter(p -> p.status.equals("active")).count();
    }
  }

  static final class Node {
    final String name; // gpu-07
    final String label;
    final boolean gpuNode;
    final String microdaoSlug;
    Dao planet;
    final String hostname;
    final String environment;
    final String gpuModel; // null for CPU nodes
    final double vramTotal; // GB, 0 for CPU nodes
    final double memoryTotal; // GB
    double cpu;
    double gpu;
    double ram;
    double disk;
    double netIn;
    double netOut;
    double temperature;
    double latency;
    double packetLoss;
    double baseLoad;
    boolean online = true;
    Instant lastSeen;

    Node(
        String name,
        String label,
        boolean gpuNode,
        String microdaoSlug,
        String hostname,
        String environment,
        String gpuModel,
        double vramTotal,
        double memoryTotal) {
      this.name = name;
      this.label = label;
      this.gpuNode = gpuNode;
      this.microdaoSlug = microdaoSlug;
      this.hostname = hostname;
      this.environment = environment;
      this.gpuModel = gpuModel;
      this.vramTotal = vramTotal;
      this.memoryTotal = memoryTotal;
    }

    String id() {
      return "node:" + name;
    }

    /** space-service health: offline, degraded when hot or overloaded, else healthy. */
    String spaceStatus() {
      if (!online) {
        return "offline";
      }
      return Math.max(cpu, gpu) > 0.9 || temperature > 85 ? "degraded" : "healthy";
    }
  }

  /** 24 h usage counters of one agent, as usage-engine aggregates them. */
  static final class Usage {
    long invocations;
    long invocationsFailed;
    long llmCalls;
    long toolCalls;
    long messagesSent;
    long totalTokens;

    boolean any() {
      return invocations + llmCalls + toolCalls + messagesSent + totalTokens > 0;
    }
  }

  static final class Agent {
    final String id; // UUID
    final String name; // sofia
    final String displayName; // Sofia
    final String kind;
    final String description;
    final Microdao microdao;
    final String blueprintId;
    final String model;
    final List<String> tools;
    final Instant createdAt;
    boolean active = true;
    String status; // online | idle | offline | busy
    Node node;
    String lastAction;
    final Usage usage = new Usage();

    /** Made once, as {@link Microdao#externalId()}. */
    private final String externalId;

    Agent(
        String id,
        String name,
        String displayName,
        String kind,
        String description,
        Microdao microdao,
        String blueprintId,
        String model,
        List<String> tools,
        Instant createdAt,
        String status) {
      this.id = id;
      this.name = name;
      this.displayName = displayName;
      this.kind = kind;
      this.description = description;
      this.microdao = microdao;
      this.blueprintId = blueprintId;
      this.model = model;
      this.tools = tools;
      this.createdAt = createdAt;
      this.status = status;
      this.externalId = "agent:" + name;
    }

    String externalId() {
      return externalId;
    }
  }

  static final class Channel {
    final String id; // UUID
    final String name;
    final Microdao microdao;
    long messages;

    Channel(String id, String name, Microdao microdao) {
      this.id = id;
      this.name = name;
      this.microdao = microdao;
    }
  }

  /** Per-model and per-tool aggregates for usage-engine's summary. */
  static final class ModelUsage {
    final String model;
    final String provider;
    long calls;
    long tokens;
    long latencyTotal;

    ModelUsage(String model, String provider) {
      this.model = model;
      this.provider = provider;
    }
  }

  static final class ToolUsage {
    final String toolId;
    final String toolName;
    long calls;
    long failed;
    long latencyTotal;

    ToolUsage(String toolId, String toolName) {
      this.toolId = toolId;
      this.toolName = toolName;
    }
  }

  /** A recent notable happening, listed by space-service {@code /space/events}. */
  record SpaceEvent(
      String type,
      String daoId,
      String nodeId,
      long timestamp,
      String severity,
      Map<String, Object> meta) {}

  /** A recent city event, listed in city-service's snapshot {@code events[]}. */
  record CityEvent(String id, String type, String label, String timestamp, String severity) {}
}
