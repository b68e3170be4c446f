package org.daarion.livingmap.api.security;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.daarion.livingmap.visibility.Visibility;

/**
 * Per-layer visibility ({@code LIVING_MAP_LAYER_ROLES=layer=role|role,...}): a listed layer is
 * visible only to principals holding one of its roles; unlisted layers are visible to every reader;
 * admins and auth-off see everything. Immutable.
 */
public final class LayerPolicy {
  private final Map<String, List<String>> layerRoles;

  /** One per visibility class: at most 2^(configured layers) entries. */
  private final Map<Set<String>, Visibility> classes = new ConcurrentHashMap<>();

  private volatile Visibility.Aliases aliases = Visibility.Aliases.NONE;

  public LayerPolicy(Map<String, List<String>> layerRoles) {
    this.layerRoles = Map.copyOf(layerRoles);
  }

  /**
   * Where upstream keys (UUIDs) are resolved to entity ids, so that a payload naming a hidden
   * entity by its upstream key is filtered too (the live state's alias index). Set once at start,
   * before requests arrive.
   */
  public void resolveAliasesWith(Visibility.Aliases aliases) {
    this.aliases = aliases == null ? Visibility.Aliases.NONE : aliases;
    classes.clear();
  }

  /**
   * The visibility class of {@code p}: everything for admins, auth off and when no configured layer
   * is hidden from it; otherwise the class of its hidden layers, shared by every principal with the
   * same ones. Anonymous callers (public mode) see no restricted layer.
   */
  public Visibility visibility(Principal p) {
    if (p == null) {
      return Visibility.FULL;
    }
    Set<String> hidden = hidden(p);
    if (hidden.isEmpty()) {
      return Visibility.FULL;
    }
    return classes.computeIfAbsent(hidden, h -> Visibility.hiding(h, aliases));
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
   * {@code snapshot} as {@code p}'s class sees it: without the hidden layers and without references
   * to their entities ({@link Visibility#snapshot}); {@code meta.hidden_layers} lists what was
   * removed. The input is not changed.
   */
  public JsonObject filterSnapshot(JsonObject snapshot, Principal p) {
    return visibility(p).snapshot(snapshot);
  }
}
