package org.daarion.livingmap.source.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import org.daarion.livingmap.event.EntityPatch;
import org.daarion.livingmap.event.UpstreamPoll;
import org.junit.jupiter.api.Test;

class UpstreamPrecedenceTest {
  static UpstreamPoll poll(String source, EntityPatch... patches) {
    return new UpstreamPoll(source, Set.of("microdao"), List.of(patches));
  }

  static EntityPatch microdao(String id, JsonObject fields, String... aliases) {
    return new EntityPatch(id, "microdao", fields, new JsonObject(), List.of(aliases));
  }

  @Test
  void aLowerSourceLosesOnlyTheFieldsTheOwnerSets() {
    Precedence p = new Precedence();
    p.filter(
        poll(
            "microdao-service",
            microdao(
                "microdao:daarion",
                new JsonObject().put("name", "Core").put("members", 2),
                "uuid-1")),
        false);
    UpstreamPoll city =
        p.filter(
            poll(
                "city-service",
                microdao(
                    "microdao:daarion",
                    new JsonObject().put("name", "DAO").put("members", 4).put("description", "d")),
                microdao("microdao:clan", new JsonObject().put("name", "Clan"))),
            false);
    assertThat(city.patches().get(0).fields()).isEqualTo(new JsonObject().put("description", "d"));
    assertThat(city.patches().get(1).fields().getString("name")).isEqualTo("Clan");
    assertThat(city.completeTypes()).containsExactly("microdao");

    UpstreamPoll owner =
        p.filter(
            poll(
                "microdao-service",
                microdao("microdao:daarion", new JsonObject().put("name", "X"))),
            false);
    assertThat(owner.patches().get(0).fields().getString("name"))
        .as("the owner is never filtered")
        .isEqualTo("X");
  }

  @Test
  void ownershipFollowsAliasesPartialPollsAndLapses() {
    Precedence p = new Precedence();
    p.filter(
        poll(
            "microdao-service",
            microdao(
                "microdao:daarion",
                new JsonObject().put("name", "Core").put("members", 2),
                "daarion-city")),
        false);
    // by alias: the lower source names the same microDAO by its other slug
    UpstreamPoll byAlias =
        p.filter(
            poll(
                "city-service",
                microdao("microdao:x", new JsonObject().put("name", "DAO"), "daarion-city")),
            false);
    assertThat(byAlias.patches().get(0).fields().isEmpty()).isTrue();

    // a partial poll of the owner keeps its earlier claims
    p.filter(
        poll(
            "microdao-service", microdao("microdao:daarion", new JsonObject().put("name", "Core"))),
        true);
    UpstreamPoll afterPartial =
        p.filter(
            poll("city-service", microdao("microdao:daarion", new JsonObject().put("members", 4))),
            false);
    assertThat(afterPartial.patches().get(0).fields().containsKey("members")).isFalse();

    // once the owner stops reporting the entity, the lower source's fields apply again
    p.filter(poll("microdao-service"), false);
    UpstreamPoll lapsed =
        p.filter(
            poll("city-service", microdao("microdao:daarion", new JsonObject().put("members", 4))),
            false);
    assertThat(lapsed.patches().get(0).fields().getInteger("members")).isEqualTo(4);
  }
}
