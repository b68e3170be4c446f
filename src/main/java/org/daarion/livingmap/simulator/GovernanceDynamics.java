package org.daarion.livingmap.simulator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.daarion.livingmap.simulator.Dynamics.Emitted;
import org.daarion.livingmap.simulator.SimEntities.Dao;
import org.daarion.livingmap.simulator.SimEntities.Member;
import org.daarion.livingmap.simulator.SimEntities.Microdao;
import org.daarion.livingmap.simulator.SimEntities.Proposal;
import org.daarion.livingmap.simulator.SimEntities.SpaceEvent;

/**
 * The governance part of {@link Dynamics}: DAO proposals (created, activated, voted, closed), DAO
 * and microDAO treasuries, microDAO members and profile updates. Same rules as {@link Dynamics}:
 * called with the network's lock held, one thread at a time, drawing from the shared random
 * generator, so a seed gives the same events as before the split.
 */
final class GovernanceDynamics {
  /** Closed proposals kept per DAO; older ones are forgotten so long runs stay bounded. */
  private static final int CLOSED_PROPOSALS_KEPT = 20;

  private static final int MAX_MEMBERS = 80;

  private static final List<String> DESCRIPTIONS =
      List.of(
          "Децентралізована платформа для AI-агентів, microDAO та DAO",
          "Open community of agents and humans",
          "Now with more GPU nodes",
          "Governed by its members, powered by agents");

  private final SimulatedNetwork net;
  private final SplittableRandom rng;

  GovernanceDynamics(SimulatedNetwork net, SplittableRandom rng) {
    this.net = net;
    this.rng = rng;
  }

  // ---- DAO governance ----

  Emitted daoEvent(Instant now) {
    if (net.daos.isEmpty()) {
      return null;
    }
    Dao d = net.daos.get(rng.nextInt(net.daos.size()));
    if (rng.nextInt(100) < 8) {
      return daoTreasury(d, now);
    }
    Proposal draft = null;
    Proposal active = null;
    for (Proposal p : d.proposals) {
      if (draft == null && p.status.equals("draft")) {
        draft = p;
      } else if (active == null && p.status.equals("active")) {
        active = p;
      }
    }
    if (draft != null && (active == null || rng.nextBoolean())) {
      return activate(d, draft, now);
    }
    if (active != null) {
      if (active.votes() >= active.votesNeeded && rng.nextInt(3) == 0) {
        return close(d, active, now);
      }
      return vote(d, active, now);
    }
    return propose(d, now);
  }

  private Emitted propose(Dao d, Instant now) {
    long n = net.nextProposal++;
    String title = Names.PROPOSAL_TITLES.get(rng.nextInt(Names.PROPOSAL_TITLES.size()));
    Member author = d.microdao.members.get(rng.nextInt(d.microdao.members.size()));
    Proposal p =
        new Proposal(
            Names.proposalUuid(n),
            "proposal-" + n + "-" + SimulatedNetwork.slugOf(title),
            title,
            author.userId,
            "draft");
    d.proposals.add(p);
    net.totalProposalsCreated++;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dao_id", d.id);
    m.put("proposal_id", p.id);
    m.put("slug", p.slug);
    m.put("title", p.title);
    m.put("created_by_user_id", p.createdBy);
    m.put("status", "draft");
    m.put("ts", Names.isoOffset(now));
    return new Emitted("dao.event.proposal_created", m);
  }

  private Emitted activate(Dao d, Proposal p, Instant now) {
    p.status = "active";
    p.votesNeeded = 3 + rng.nextInt(8);
    d.activity = round2(Dynamics.clamp(d.activity + 0.05, 0, 1));
    net.addSpaceEvent(
        new SpaceEvent(
            "dao.vote.opened",
            d.externalId(),
            null,
            now.getEpochSecond(),
            "info",
            Names.ordered("proposal_id", p.id, "title", p.title)));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dao_id", d.id);
    m.put("proposal_id", p.id);
    m.put("slug", p.slug);
    m.put("status", "active");
    m.put("actor_id", d.ownerUserId);
    m.put("ts", Names.isoOffset(now));
    return new Emitted("dao.event.proposal_activated", m);
  }

  private Emitted vote(Dao d, Proposal p, Instant now) {
    int r = rng.nextInt(10);
    String value = r < 6 ? "yes" : r < 9 ? "no" : "abstain";
    switch (value) {
      case "yes" -> p.yes++;
      case "no" -> p.no++;
      default -> p.abstain++;
    }
    Member voter = d.microdao.members.get(rng.nextInt(d.microdao.members.size()));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dao_id", d.id);
    m.put("proposal_id", p.id);
    m.put("vote_id", Names.voteUuid(net.nextVote++));
    m.put("voter_user_id", voter.userId);
    m.put("vote_value", value);
    m.put("weight", "1");
    m.put("ts", Names.isoOffset(now));
    return new Emitted("dao.event.vote_cast", m);
  }

  private Emitted close(Dao d, Proposal p, Instant now) {
    p.status = "closed";
    boolean passed = p.yes > p.no;
    p.finalStatus = passed ? "passed" : "rejected";
    long closed = d.proposals.stream().filter(x -> x.status.equals("closed")).count();
    for (int i = 0; closed > CLOSED_PROPOSALS_KEPT && i < d.proposals.size(); ) {
      if (d.proposals.get(i).status.equals("closed")) {
        d.proposals.remove(i);
        closed--;
      } else {
        i++;
      }
    }
    net.addSpaceEvent(
        new SpaceEvent(
            "dao.vote.closed",
            d.externalId(),
            null,
            now.getEpochSecond(),
            "info",
            Names.ordered("proposal_id", p.id, "title", p.title, "result", p.finalStatus)));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dao_id", d.id);
    m.put("proposal_id", p.id);
    m.put("slug", p.slug);
    m.put("final_status", p.finalStatus);
    m.put("is_passed", passed);
    m.put("quorum_reached", p.votes() >= 3);
    m.put("actor_id", d.ownerUserId);
    m.put("ts", Names.naive(now));
    return new Emitted("dao.event.proposal_closed", m);
  }

  private Emitted daoTreasury(Dao d, Instant now) {
    String token = rng.nextBoolean() ? "DAARION" : "USDT";
    BigDecimal balance = d.treasury.getOrDefault(token, BigDecimal.ZERO);
    long delta = (rng.nextInt(100) < 60 ? 1 : -1) * (100L + rng.nextInt(20_000));
    if (balance.add(BigDecimal.valueOf(delta)).signum() < 0) {
      delta = -delta;
    }
    BigDecimal next = balance.add(BigDecimal.valueOf(delta)).setScale(8);
    d.treasury.put(token, next);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dao_id", d.id);
    m.put("slug", d.slug);
    m.put("token_symbol", token);
    m.put("new_balance", next.toPlainString());
    m.put("actor_id", d.ownerUserId);
    m.put("ts", Names.isoOffset(now));
    return new Emitted("dao.event.treasury_updated", m);
  }

  // ---- microDAOs ----

  Emitted microdaoEvent(Instant now) {
    if (net.microdaos.isEmpty()) {
      return null;
    }
    Microdao md = net.microdaos.get(rng.nextInt(net.microdaos.size()));
    int r = rng.nextInt(100);
    if (r < 40) {
      return md.members.size() < MAX_MEMBERS ? memberAdded(md, now) : memberRemoved(md, now);
    }
    if (r < 65) {
      return md.members.size() > 1 ? memberRemoved(md, now) : memberAdded(md, now);
    }
    if (r < 95) {
      return microdaoTreasury(md, now);
    }
    return microdaoUpdated(md, now);
  }

  private Emitted memberAdded(Microdao md, Instant now) {
    Member m =
        new Member(Names.memberUuid(net.nextMember++), Names.userUuid(net.nextUser++), "member");
    md.members.add(m);
    md.activity = round2(Dynamics.clamp(md.activity + 0.01, 0, 1));
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("microdao_id", md.id);
    p.put("slug", md.slug);
    p.put("member_id", m.memberId);
    p.put("user_id", m.userId);
    p.put("role", m.role);
    p.put("actor_id", md.ownerUserId);
    p.put("ts", Names.naive(now));
    return new Emitted("microdao.event.member_added", p);
  }

  private Emitted memberRemoved(Microdao md, Instant now) {
    // The owner (index 0) stays.
    Member m = md.members.remove(1 + rng.nextInt(md.members.size() - 1));
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("microdao_id", md.id);
    p.put("slug", md.slug);
    p.put("member_id", m.memberId);
    p.put("user_id", m.userId);
    p.put("actor_id", md.ownerUserId);
    p.put("ts", Names.naive(now));
    return new Emitted("microdao.event.member_removed", p);
  }

  private Emitted microdaoTreasury(Microdao md, Instant now) {
    BigDecimal balance = md.treasury.getOrDefault("DAARION", BigDecimal.ZERO);
    long delta = (rng.nextInt(100) < 60 ? 1 : -1) * (100L + rng.nextInt(5000));
    if (balance.add(BigDecimal.valueOf(delta)).signum() < 0) {
      delta = -delta;
    }
    BigDecimal next = balance.add(BigDecimal.valueOf(delta)).setScale(8);
    md.treasury.put("DAARION", next);
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("microdao_id", md.id);
    p.put("slug", md.slug);
    p.put("token_symbol", "DAARION");
    p.put("delta", Long.toString(delta));
    p.put("new_balance", next.toPlainString());
    p.put("actor_id", md.ownerUserId);
    p.put("ts", Names.naive(now));
    return new Emitted("microdao.event.treasury_updated", p);
  }

  private Emitted microdaoUpdated(Microdao md, Instant now) {
    md.description = DESCRIPTIONS.get(rng.nextInt(DESCRIPTIONS.size()));
    md.updatedAt = now;
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("microdao_id", md.id);
    p.put("slug", md.slug);
    p.put("actor_id", md.ownerUserId);
    p.put("changes", Names.ordered("description", md.description));
    p.put("ts", Names.isoOffset(now));
    return new Emitted("microdao.event.updated", p);
  }

  private static double round2(double v) {
    return Names.round(v, 2);
  }
}
