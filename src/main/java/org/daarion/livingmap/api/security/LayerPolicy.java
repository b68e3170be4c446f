package org.daarion.livingmap.api.security;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Per-layer visibility ({@code LIVING_MAP_LAYER_ROLES=layer=role|role,...}): a listed layer is
 * visible only to principals holding one of its roles; unlisted layers are visible to every reader;
 * admins and auth-off see everything. Immutable.
 */
public final class LayerPolicy {
  private final Map<String, List<String>> layerRoles;

  public LayerPolicy(Map<String, List<String>> layerRoles) {
    this.layerRoles = Map.copyOf(layerRoles);
  }

  /** Whether {@code p} may see {@code layer}. */
  public boolean canSee(Principal p, String layer) {
    List<String> roles = layerRoles.get(layer);
    if (roles == null || p.method() == Principal.Method.OFF || p.hasRole(Principal.ADMIN)) {
      return true;
    }
    for (String r : roles) {
      if (p.hasRole(r)) {
        return true;
      }
    }
    return false;
  }

  /** A predicate over layer names for filtering lists (entities, events) by {@code p}. */
  public Predicate<String> visible(Principal p) {
    return layer -> layer == null || canSee(p, layer);
  }

  /** Whether some configured layer is hidden from {@code p}. */
  public boolean restricts(Principal p) {
    for (String layer : layerRoles.keySet()) {
      if (!canSee(p, layer)) {
        return true;
      }
    }
    return false;
  }

  /** The layers hidden from {@code p}. */
  public Set<String> hidden(Principal p) {
    return Set.copyOf(layerRoles.keySet().stream().filter(l -> !canSee(p, l)).toList());
  }

  /**
   * {@code snapshot} without the layers hidden from {@code p} (a shallow copy; the input is not
   * changed). {@code meta.hidden_layers} lists what was removed.
   */
  public JsonObject filterSnapshot(JsonObject snapshot, Principal p) {
    if (!restricts(p)) {
      return snapshot;
    }
    JsonObject out = snapshot.copy();
    JsonObject layers = out.getJsonObject("layers");
    Set<String> hidden = hidden(p);
    if (layers != null) {
      hidden.forEach(layers::remove);
    }
    JsonObject meta = out.getJsonObject("meta");
    if (meta != null) {
      meta.put(
          "hidden_layers", new io.vertx.core.json.JsonArray(hidden.stream().sorted().toList()));
    }
    return out;
  }
}
