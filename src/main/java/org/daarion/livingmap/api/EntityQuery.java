package org.daarion.livingmap.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.daarion.livingmap.api.http.BadParameter;
import org.daarion.livingmap.api.http.Params;
import org.daarion.livingmap.state.Entity;
import org.daarion.livingmap.state.EntityTypes;

/**
 * {@code GET /living-map/entities}: the contract's filters ({@code type, layer, status, limit,
 * offset}) plus text search {@code q}, {@code sort}, {@code fields} projection and cursor paging.
 * Pure: takes entities, returns the page.
 */
final class EntityQuery {
  static final List<String> SORT_KEYS =
      List.of("id", "label", "status", "type", "layer", "updated_at");
  static final List<String> ITEM_FIELDS =
      List.of("id", "type", "label", "status", "layer", "updated_at", "seq", "data");

  private final String type;
  private final String layer;
  private final String status;
  private final String q;
  private final String sortKey;
  private final boolean descending;
  private final List<String> fields;
  private final int limit;
  private final int offset;
  private final Cursor after;

  private record Cursor(String sort, String key, String id) {}

  EntityQuery(Params p) {
    type = p.oneOf("type", EntityTypes.TYPES);
    layer = p.oneOf("layer", EntityTypes.LAYERS);
    status = p.string("status");
    String query = p.string("q");
    q = query == null ? null : query.toLowerCase(Locale.ROOT);
    String sort = p.string("sort");
    if (sort == null) {
      sort = "id";
    }
    descending = sort.startsWith("-");
    sortKey = descending ? sort.substring(1) : sort;
    if (!SORT_KEYS.contains(sortKey)) {
      throw new BadParameter(
          "sort",
          "sort must be one of "
              + String.join(", ", SORT_KEYS)
              + " (prefix - for descending), got '"
              + sort
              + "'");
    }
    fields = p.list("fields");
    for (String f : fields) {
      if (!ITEM_FIELDS.contains(f)) {
        throw new BadParameter(
            "fields", "fields may list " + String.join(", ", ITEM_FIELDS) + ", got '" + f + "'");
      }
    }
    limit = p.intIn("limit", 100, 1, 500);
    offset = p.intIn("offset", 0, 0, Integer.MAX_VALUE);
    after = decode(p.string("cursor"), sort);
    if (after != null && offset != 0) {
      throw new BadParameter("cursor", "cursor and offset cannot be combined");
    }
  }

  JsonObject run(Collection<Entity> all) {
    List<Entity> matched = new ArrayList<>();
    for (Entity e : all) {
      if (matches(e)) {
        matched.add(e);
      }
    }
    Comparator<Entity> order = Comparator.comparing(this::sortValue).thenComparing(Entity::id);
    if (descending) {
      order = order.reversed();
    }
    matched.sort(order);
    int start = offset;
    if (after != null) {
      start = matched.size();
      for (int i = 0; i < matched.size(); i++) {
        Entity e = matched.get(i);
        int c = sortValue(e).compareTo(after.key());
        if (c == 0) {
          c = e.id().compareTo(after.id());
        }
        if (descending ? c < 0 : c > 0) {
          start = i;
          break;
        }
      }
    }
    int end = Math.min(matched.size(), start + limit);
    JsonArray items = new JsonArray();
    for (int i = Math.min(start, end); i < end; i++) {
      items.add(item(matched.get(i)));
    }
    boolean more = end < matched.size();
    JsonObject out =
        new JsonObject()
            .put("items", items)
            .put("total", matched.size())
            .put("limit", limit)
            .put("offset", after == null ? offset : null)
            .put("has_more", more);
    out.put("next_cursor", more && end > 0 ? encode(matched.get(end - 1)) : null);
    return out;
  }

  static JsonObject facets(Collection<Entity> all) {
    Map<String, Integer> byType = new TreeMap<>();
    Map<String, Integer> byLayer = new TreeMap<>();
    Map<String, Integer> byStatus = new TreeMap<>();
    for (Entity e : all) {
      byType.merge(e.type(), 1, Integer::sum);
      byLayer.merge(e.layer(), 1, Integer::sum);
      byStatus.merge(e.status(), 1, Integer::sum);
    }
    return new JsonObject()
        .put("total", all.size())
        .put("type", new JsonObject(new TreeMap<String, Object>(byType)))
        .put("layer", new JsonObject(new TreeMap<String, Object>(byLayer)))
        .put("status", new JsonObject(new TreeMap<String, Object>(byStatus)));
  }

  private boolean matches(Entity e) {
    if (type != null && !type.equals(e.type())) {
      return false;
    }
    if (layer != null && !layer.equals(e.layer())) {
      return false;
    }
    if (status != null && !status.equals(e.status())) {
      return false;
    }
    return q == null
        || e.id().toLowerCase(Locale.ROOT).contains(q)
        || e.label().toLowerCase(Locale.ROOT).contains(q);
  }

  private String sortValue(Entity e) {
    return switch (sortKey) {
      case "label" -> e.label();
      case "status" -> e.status();
      case "type" -> e.type();
      case "layer" -> e.layer();
      case "updated_at" -> e.updatedAt() == null ? "" : e.updatedAt().toString();
      default -> e.id();
    };
  }

  /** The contract's item {@code {id, type, label, status, layer}}, or the requested fields. */
  private JsonObject item(Entity e) {
    JsonObject full =
        new JsonObject()
            .put("id", e.id())
            .put("type", e.type())
            .put("label", e.label())
            .put("status", e.status())
            .put("layer", e.layer());
    if (fields.isEmpty()) {
      return full;
    }
    JsonObject out = new JsonObject();
    for (String f : fields) {
      switch (f) {
        case "updated_at" -> out.put(f, e.updatedAt() == null ? null : e.updatedAt().toString());
        case "seq" -> out.put(f, e.seq());
        case "data" -> out.put(f, e.data());
        default -> out.put(f, full.getValue(f));
      }
    }
    return out;
  }

  private String encode(Entity last) {
    String raw = (descending ? "-" : "") + sortKey + "\n" + sortValue(last) + "\n" + last.id();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static Cursor decode(String cursor, String sort) {
    if (cursor == null) {
      return null;
    }
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = raw.split("\n", 3);
      if (parts.length != 3) {
        throw new IllegalArgumentException();
      }
      if (!parts[0].equals(sort)) {
        throw new BadParameter(
            "cursor", "cursor was made for sort=" + parts[0] + ", not sort=" + sort);
      }
      return new Cursor(parts[0], parts[1], parts[2]);
    } catch (IllegalArgumentException e) {
      throw new BadParameter("cursor", "cursor is not one this server gave out");
    }
  }
}
