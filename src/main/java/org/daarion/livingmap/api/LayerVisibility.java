package org.daarion.livingmap.api;

import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.stream.Collectors;
import org.daarion.livingmap.state.EntityTypes;

/**
 * Which layers the caller of a request may not see (per-layer visibility by role). Routes that list
 * entities, their history or their graph leave those layers out; the snapshot has its own guard.
 */
@FunctionalInterface
public interface LayerVisibility {
  LayerVisibility ALL_VISIBLE = ctx -> Set.of();

  Set<String> hiddenLayers(RoutingContext ctx);

  /** The entity types that live on the hidden layers. */
  default Set<String> hiddenTypes(RoutingContext ctx) {
    Set<String> hidden = hiddenLayers(ctx);
    if (hidden.isEmpty()) {
      return Set.of();
    }
    return EntityTypes.TYPES.stream()
        .filter(t -> hidden.contains(EntityTypes.layerOf(t)))
        .collect(Collectors.toUnmodifiableSet());
  }
}
