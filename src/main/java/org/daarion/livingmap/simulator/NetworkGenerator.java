package org.daarion.livingmap.simulator;

import static org.daarion.livingmap.simulator.SimulatedNetwork.capitalize;
import static org.daarion.livingmap.simulator.SimulatedNetwork.money;
import static org.daarion.livingmap.simulator.SimulatedNetwork.round1;
import static org.daarion.livingmap.simulator.SimulatedNetwork.round2;
import static org.daarion.livingmap.simulator.SimulatedNetwork.slugOf;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.daarion.livingmap.simulator.SimEntities.Agent;
import org.daarion.livingmap.simulator.SimEntities.Channel;
import org.daarion.livingmap.simulator.SimEntities.CityEvent;
import org.daarion.livingmap.simulator.SimEntities.Dao;
import org.daarion.livingmap.simulator.SimEntities.Member;
import org.daarion.livingmap.simulator.SimEntities.Microdao;
import org.daarion.livingmap.simulator.SimEntities.Node;
import org.daarion.livingmap.simulator.SimEntities.Proposal;

/**
 * Builds the initial {@link SimulatedNetwork}; all randomness from one seeded generator, in a fixed
 * order, so the same seed and sizes give the same network.
 */
final class NetworkGenerator {
  private final SimulatedNetwork net;
  private final SplittableRandom rng;

  NetworkGenerator(SimulatedNetwork net, SplittableRandom rng) {
    this.net = net;
    this.rng = rng;
  }

  private Instant createdAt(long minutes) {
    return Names.BASE_TIME
        .plusSeconds(minutes * 60 + rng.nextInt(60))
        .plusNanos(rng.nextInt(1_000_000) * 1000L);
  }

  void run(int microdaoCount, int daoCount, int nodeCount, int agentCount, int channelCount) {
    String owner = Names.userUuid(1);
    for (int i = 0; i < microdaoCount; i++) {
      String[] f =
          i < Names.MICRODAOS.size()
              ? Names.MICRODAOS.get(i)
              : new String[] {
                "microdao-" + (i + 1),
                "MicroDAO " + (i + 1),
                "Community microDAO number " + (i + 1),
                "Outskirts",
                "steward-" + (i + 1),
                "Steward " + (i + 1)
              };
      long n = net.nextMicrodao++;
      Microdao m = new Microdao(Names.microdaoUuid(n), f[0], f[1], f[2], f[3], owner, createdAt(i));
      m.members.add(new Member(Names.memberUuid(net.nextMember++), owner, "owner"));
      if (i == 0) {
        m.members.add(new Member(Names.memberUuid(net.nextMember++), Names.userUuid(93), "member"));
      }
      int extra = 1 + rng.nextInt(24);
      for (int k = 0; k < extra; k++) {
        m.members.add(
            new Member(
                Names.memberUuid(net.nextMember++), Names.userUuid(net.nextUser++), "member"));
      }
      m.treasury.put("DAARION", money(i == 0 ? 1_000_000 : 10_000 + rng.nextInt(900_000)));
      m.activity = round2(0.3 + rng.nextDouble() * 0.6);
      net.microdaos.add(m);
    }

    for (int j = 0; j < daoCount; j++) {
      String[] f =
          j < Names.DAOS.size()
              ? Names.DAOS.get(j)
              : new String[] {
                "dao-" + (j + 1), "DAO Planet " + (j + 1), "Governance planet " + (j + 1)
              };
      Microdao m = net.microdaos.get(j % net.microdaos.size());
      Dao d =
          new Dao(
              Names.daoUuid(j + 1),
              f[0],
              f[1],
              f[2],
              m,
              owner,
              createdAt(30 + j),
              round1(-400 + rng.nextDouble() * 800),
              round1(-200 + rng.nextDouble() * 400),
              round1(-600 + rng.nextDouble() * 1200));
      d.members = 2 + rng.nextInt(120);
      d.treasury.put("DAARION", money(j == 0 ? 1_000_000 : 50_000 + rng.nextInt(2_000_000)));
      d.treasury.put("USDT", money(j == 0 ? 25_000 : rng.nextInt(100_000)));
      d.activity = round2(0.2 + rng.nextDouble() * 0.7);
      int closed = 1 + rng.nextInt(3);
      for (int k = 0; k < closed; k++) {
        Proposal p = newProposal(d, "closed");
        p.yes = 3 + rng.nextInt(20);
        p.no = rng.nextInt(12);
        p.abstain = rng.nextInt(4);
        p.finalStatus = p.yes > p.no ? "passed" : "rejected";
      }
      if (rng.nextInt(3) > 0) {
        Proposal p = newProposal(d, "active");
        p.yes = rng.nextInt(5);
        p.no = rng.nextInt(3);
        p.votesNeeded = p.votes() + 3 + rng.nextInt(6);
        net.addSpaceEvent(
            new SimEntities.SpaceEvent(
                "dao.vote.opened",
                d.externalId(),
                null,
                Names.BASE_TIME.getEpochSecond() + 3600 + j,
                "info",
                Names.ordered("proposal_id", p.id, "title", p.title)));
      }
      net.daos.add(d);
    }

    int gpuNo = 0;
    int cpuNo = 0;
    for (int i = 0; i < nodeCount; i++) {
      boolean gpu = rng.nextDouble() < 0.45;
      String name =
          gpu
              ? String.format(Locale.ROOT, "gpu-%02d", ++gpuNo)
              : String.format(Locale.ROOT, "cpu-%02d", ++cpuNo);
      String label =
          Names.NODE_ADJECTIVES.get(rng.nextInt(Names.NODE_ADJECTIVES.size()))
              + " "
              + Names.NODE_NOUNS.get(rng.nextInt(Names.NODE_NOUNS.size()));
      String[] gpuModel = gpu ? Names.GPUS.get(rng.nextInt(Names.GPUS.size())) : null;
      Microdao m = net.microdaos.get(rng.nextInt(net.microdaos.size()));
      Node n =
          new Node(
              name,
              label,
              gpu,
              m.slug,
              "10." + (7 + i / 65_000) + "." + (i / 250 % 250) + "." + (i % 250 + 1),
              rng.nextInt(10) < 8 ? "production" : "development",
              gpuModel == null ? null : gpuModel[0],
              gpuModel == null ? 0.0 : Double.parseDouble(gpuModel[1]),
              new double[] {32, 64, 128, 256}[rng.nextInt(4)]);
      n.planet = net.daos.get(rng.nextInt(net.daos.size()));
      n.baseLoad = 0.2 + rng.nextDouble() * 0.5;
      n.cpu = round2(n.baseLoad * (0.7 + rng.nextDouble() * 0.4));
      n.gpu = gpu ? round2(n.baseLoad * (0.8 + rng.nextDouble() * 0.4)) : 0.0;
      n.ram = round2(0.2 + rng.nextDouble() * 0.6);
      n.disk = round2(0.1 + rng.nextDouble() * 0.7);
      n.netIn = round1(50 + rng.nextDouble() * 900);
      n.netOut = round1(50 + rng.nextDouble() * 700);
      n.temperature = round1(35 + 45 * Math.max(n.cpu, n.gpu));
      n.latency = round1(4 + rng.nextDouble() * 20);
      n.packetLoss = round2(rng.nextDouble() * 0.02);
      n.lastSeen = Names.BASE_TIME;
      net.nodes.add(n);
    }

    List<Object[]> specs = new ArrayList<>();
    Microdao core = net.microdaos.get(0);
    specs.add(new Object[] {"sofia", "Sofia", "assistant", "gpt-4.1-mini", core});
    specs.add(new Object[] {"alex", "Alex", "analyst", "deepseek-r1", core});
    specs.add(new Object[] {"guardian", "Guardian", "guardian", "gpt-4.1-mini", core});
    for (int i = 0; i < net.microdaos.size(); i++) {
      String[] f =
          i < Names.MICRODAOS.size()
              ? Names.MICRODAOS.get(i)
              : new String[] {null, null, null, null, "steward-" + (i + 1), "Steward " + (i + 1)};
      specs.add(new Object[] {f[4], f[5], "orchestrator", "gpt-4.1-mini", net.microdaos.get(i)});
    }
    int fixed = specs.size();
    for (int k = 0; specs.size() < agentCount; k++) {
      String base = Names.AGENT_NAMES.get(k % Names.AGENT_NAMES.size());
      int round = k / Names.AGENT_NAMES.size();
      String name = round == 0 ? base : base + "-" + (round + 1);
      String kind = Names.KINDS.get(rng.nextInt(Names.KINDS.size()))[0];
      if (kind.equals("orchestrator")) {
        kind = "assistant";
      }
      String model = Names.MODELS.get(rng.nextInt(Names.MODELS.size()))[0];
      specs.add(
          new Object[] {
            name,
            capitalize(name),
            kind,
            model,
            net.microdaos.get(rng.nextInt(net.microdaos.size()))
          });
    }
    for (int i = 0; i < Math.min(agentCount, specs.size()); i++) {
      Object[] s = specs.get(i);
      String kind = (String) s[2];
      long n = net.nextAgent++;
      double r = rng.nextDouble();
      String status = r < 0.5 ? "online" : r < 0.8 ? "idle" : r < 0.9 ? "busy" : "offline";
      Agent a =
          new Agent(
              Names.agentUuid(n),
              (String) s[0],
              (String) s[1],
              kind,
              description(kind),
              (Microdao) s[4],
              Names.blueprintUuid(n),
              (String) s[3],
              Names.toolsOf(kind),
              Names.BASE_TIME.plusSeconds(5 + i).plusNanos(rng.nextInt(1_000_000) * 1000L),
              status);
      if (i >= fixed && rng.nextInt(20) == 0) {
        a.active = false;
        a.status = "offline";
      }
      a.node = net.nodes.get(rng.nextInt(net.nodes.size()));
      a.lastAction = "Idle since start";
      net.agents.add(a);
    }

    for (int c = 0; c < channelCount; c++) {
      Microdao m = net.microdaos.get(c % net.microdaos.size());
      int round = c / net.microdaos.size();
      String name =
          Names.CHANNEL_NAMES.get(round % Names.CHANNEL_NAMES.size())
              + (round >= Names.CHANNEL_NAMES.size()
                  ? "-" + (round / Names.CHANNEL_NAMES.size() + 1)
                  : "");
      net.channels.add(new Channel(Names.channelUuid(net.nextChannel++), name, m));
    }

    Node hot = net.nodes.get(0);
    net.addSpaceEvent(
        new SimEntities.SpaceEvent(
            "node.alert.overload",
            null,
            hot.id(),
            Names.BASE_TIME.getEpochSecond() + 7200,
            "warn",
            Names.ordered("gpu_load", Math.max(hot.gpu, hot.cpu))));
    net.addCityEvent(
        new CityEvent(
            "evt-" + net.nextCityEvent++,
            "dao",
            "New proposal in " + net.daos.get(0).name,
            Names.isoSeconds(Names.BASE_TIME.plusSeconds(3600)),
            "info"));
  }

  private Proposal newProposal(Dao d, String status) {
    long n = net.nextProposal++;
    String title = Names.PROPOSAL_TITLES.get(rng.nextInt(Names.PROPOSAL_TITLES.size()));
    Proposal p =
        new Proposal(
            Names.proposalUuid(n),
            "proposal-" + n + "-" + slugOf(title),
            title,
            Names.userUuid(1),
            status);
    d.proposals.add(p);
    net.totalProposalsCreated++;
    return p;
  }

  private static String description(String kind) {
    for (String[] k : Names.KINDS) {
      if (k[0].equals(kind)) {
        return k[1];
      }
    }
    return "Simulated agent";
  }
}
