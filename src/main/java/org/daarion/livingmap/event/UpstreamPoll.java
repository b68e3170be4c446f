package org.daarion.livingmap.event;

import java.util.List;
import java.util.Set;

/**
 * One successful poll of one upstream source.
 *
 * @param source the service name ({@code agents-service}, ...)
 * @param completeTypes entity types this poll lists completely: for them the poll decides which
 *     entities exist (an entity missing from two consecutive polls leaves the map). For other types
 *     the patches only update entities that already exist.
 * @param patches what the source says about each entity
 */
public record UpstreamPoll(String source, Set<String> completeTypes, List<EntityPatch> patches) {
  public UpstreamPoll {
    completeTypes = Set.copyOf(completeTypes);
    patches = List.copyOf(patches);
  }
}
