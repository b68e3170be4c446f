package org.daarion.livingmap.visibility;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.daarion.livingmap.state.EntityTypes;

/**
 * What one visibility class may see: the layers hidden from it (per-layer visibility by role, see
 * {@code LayerPolicy}) and the entity types that live on them. Every caller with the same hidden
 * layers is in the same class ({@link #key()}), so prepared bytes are shared per class, never per
 * caller. Immutable and thread-safe; every method is pure given the alias index it was built with.
 *
 * <p><b>What is hidden.</b> A <em>hidden reference</em> is a string that names an entity of a
 * hidden type: {@code type:slug} with a hidden type; a bare value under a key that says its type
 * ({@code node_id}, {@code agent_ids}, {@code orbits}, or {@code X_id} beside {@code X_type:
 * "node"}); any other bare value the state's alias index resolves to a hidden entity (an upstream
 * UUID); and an event type or subject whose first token is a hidden type ({@code node.metrics.n1}).
 *
 * <p><b>What the filter does with them</b> (the same on snapshots, entity bodies, lists, history
 * rows and their payloads, alerts, stats and stream frames):
 *
 * <ul>
 *   <li>an object <em>about</em> a hidden entity (its {@code id}, {@code entity_id}, {@code
 *       source}, {@code target}, {@code from}, {@code to}, {@code event_type} or {@code subject} is
 *       a hidden reference) is <b>dropped</b>: from lists it disappears; as a whole body or stream
 *       frame it is not sent at all;
 *   <li>inside a visible object, a field whose value is a hidden reference, an array element that
 *       is one, and a map key that is one are <b>dropped</b> (not replaced by a marker: counts and
 *       lists read as if the entity were not there);
 *   <li>free text that mentions a hidden {@code type:slug} id (alert messages) keeps the text with
 *       the id <b>redacted</b> to {@value #REDACTED}; text that is JSON (a rejected event's raw
 *       payload) is filtered as JSON; bytes it cannot read (a rejected binary payload, {@code
 *       raw_encoding: base64}) are withheld.
 * </ul>
 *
 * Aggregates (layer totals of visible layers, a microDAO's agent and node counts) stay: they name
 * no entity.
 */
public final class Visibility {
  /** Key of the caller's visibility in a routing context. */
  public static final String CONTEXT_KEY = "living-map.visibility";

  /** What replaces a hidden id inside free text. */
  public static final String REDACTED = "[hidden]";

  /** Resolves a reference (bare or typed) to a canonical {@code type:slug} id, or returns it. */
  @FunctionalInterface
  public interface Aliases {
    Aliases NONE = ref -> ref;

    /** Must be safe to call from any thread and never block. */
    String resolve(String ref);
  }

  /** Sees everything: admins, auth off, readers when no layer is restricted. */
  public static final Visibility FULL = new Visibility(Set.of(), Aliases.NONE);

  private static final Set<String> IDENTITY_KEYS =
      Set.of("id", "entity_id", "source", "target", "from", "to", "event_type", "subject");

  private final TreeSet<String> hiddenLayers;
  private final Set<String> hiddenTypes;
  private final String key;
  private final Aliases aliases;
  private final Pattern embedded;

  private Visibility(Collection<String> hiddenLayers, Aliases aliases) {
    this.hiddenLayers = new TreeSet<>(hiddenLayers);
    this.hiddenTypes =
        Set.copyOf(
            EntityTypes.TYPES.stream()
                .filter(t -> this.hiddenLayers.contains(EntityTypes.layerOf(t)))
                .toList());
    this.key = String.join(",", this.hiddenLayers);
    this.aliases = aliases;
    this.embedded =
        hiddenTypes.isEmpty()
            ? null
            : Pattern.compile(
                "(?<![A-Za-z0-9_])(?:"
                    + String.join("|", new TreeSet<>(hiddenTypes))
                    + "):[A-Za-z0-9](?:[A-Za-z0-9._~@-]*[A-Za-z0-9_~@])?");
  }

  /** The class that does not see {@code hiddenLayers}; {@code aliases} resolves upstream keys. */
  public static Visibility hiding(Collection<String> hiddenLayers, Aliases aliases) {
    if (hiddenLayers.isEmpty()) {
      return FULL;
    }
    return new Visibility(hiddenLayers, aliases == null ? Aliases.NONE : aliases);
  }

  /** The visibility put into {@code ctx} by the security chain; {@link #FULL} when none ran. */
  public static Visibility of(io.vertx.ext.web.RoutingContext ctx) {
    Visibility v = ctx.get(CONTEXT_KEY);
    return v == null ? FULL : v;
  }

  public boolean isFull() {
    return hiddenTypes.isEmpty() && hiddenLayers.isEmpty();
  }

  /** The class: the sorted hidden layers joined by commas; {@code ""} for the full view. */
  public String key() {
    return key;
  }

  public Set<String> hiddenLayers() {
    return java.util.Collections.unmodifiableSortedSet(hiddenLayers);
  }

  public Set<String> hiddenTypes() {
    return hiddenTypes;
  }

  /** Whether the entity type {@code type} is hidden. */
  public boolean hidesType(String type) {
    return type != null && hiddenTypes.contains(type);
  }

  /** Whether {@code ref} (typed, bare alias, or an event type) names something hidden. */
  public boolean hidesRef(String ref) {
    return hidesRef(ref, null);
  }

  /**
   * Whether an event of {@code eventType} about {@code entityId} of {@code entityType} is hidden.
   */
  public boolean hidesEvent(String eventType, String entityId, String entityType) {
    if (isFull()) {
      return false;
    }
    return hidesType(entityType) || hidesRef(entityId) || hidesSubject(eventType);
  }

  /** The reducer of the snapshot variant of this class (seam 1): pure, input unchanged. */
  public UnaryOperator<JsonObject> snapshotReducer() {
    return this::snapshot;
  }

  /**
   * {@code full} without the hidden layers and without any reference to hidden entities inside the
   * visible ones; {@code meta.hidden_layers} lists the hidden layers. {@code full} itself when
   * nothing is hidden. Never changes {@code full}.
   */
  public JsonObject snapshot(JsonObject full) {
    if (isFull()) {
      return full;
    }
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> f : full) {
      Object v = f.getValue();
      if ("layers".equals(f.getKey()) && v instanceof JsonObject layers) {
        JsonObject kept = new JsonObject();
        for (Map.Entry<String, Object> l : layers) {
          if (!hiddenLayers.contains(l.getKey())) {
            kept.put(l.getKey(), l.getValue());
          }
        }
        v = kept;
      }
      out.put(f.getKey(), v);
    }
    JsonObject redacted = redactObject(out);
    if (redacted == null) {
      redacted = new JsonObject();
    }
    JsonObject meta = redacted.getJsonObject("meta");
    JsonObject m = meta == null ? new JsonObject() : meta.copy();
    m.put("hidden_layers", new JsonArray(new ArrayList<>(hiddenLayers)));
    redacted.put("meta", m);
    return redacted;
  }

  /**
   * {@code body} without references to hidden entities: the same instance when it has none, a
   * redacted copy otherwise, {@code null} when the body as a whole is about a hidden entity. Never
   * changes {@code body}.
   */
  public JsonObject redact(JsonObject body) {
    if (isFull() || body == null) {
      return body;
    }
    return redactObject(body);
  }

  /** As {@link #redact(JsonObject)} for an array body (never null: hidden elements are dropped). */
  public JsonArray redact(JsonArray body) {
    if (isFull() || body == null) {
      return body;
    }
    return redactArray(body, null);
  }

  /**
   * A stream event frame ({@code {"kind":"event",...,"payload":{...}}}) for this class: {@code
   * null} when the event is about a hidden entity, the same instance when nothing in it is hidden,
   * else a copy with the references dropped.
   */
  public JsonObject event(JsonObject frame) {
    if (isFull()) {
      return frame;
    }
    if (hidesEvent(
        frame.getValue("event_type") instanceof String t ? t : null,
        frame.getValue("entity_id") instanceof String i ? i : null,
        frame.getValue("entity_type") instanceof String y ? y : null)) {
      return null;
    }
    return redactObject(frame);
  }

  // ------------------------------------------------------------------ the walk

  private boolean hidesSubject(String subject) {
    if (subject == null) {
      return false;
    }
    int dot = subject.indexOf('.');
    return dot > 0 && hiddenTypes.contains(subject.substring(0, dot));
  }

  /** {@code keyType}: the entity type the key says its value is, or null. */
  private boolean hidesRef(String ref, String keyType) {
    if (ref == null || ref.isEmpty() || hiddenTypes.isEmpty()) {
      return false;
    }
    int colon = ref.indexOf(':');
    if (colon > 0) {
      String type = ref.substring(0, colon);
      if (EntityTypes.TYPES.contains(type)) {
        if (hiddenTypes.contains(type)) {
          return true;
        }
        // A typed id of a visible type may still be an alias of a hidden entity.
        return hiddenCanonical(aliases.resolve(ref));
      }
    }
    if (keyType != null) {
      return hiddenTypes.contains(keyType) || hiddenCanonical(aliases.resolve(keyType + ":" + ref));
    }
    return hiddenCanonical(aliases.resolve(ref));
  }

  private boolean hiddenCanonical(String id) {
    if (id == null) {
      return false;
    }
    int colon = id.indexOf(':');
    return colon > 0 && hiddenTypes.contains(id.substring(0, colon));
  }

  /** The entity type a key says its values are, from its name or a sibling {@code X_type}. */
  private static String keyType(String key, JsonObject parent) {
    if (key == null) {
      return null;
    }
    if ("orbits".equals(key)) {
      return "node";
    }
    String typed = typedKey(key);
    if (typed != null) {
      return typed;
    }
    if (parent != null && key.endsWith("_id")) {
      Object t = parent.getValue(key.substring(0, key.length() - 3) + "_type");
      if (t instanceof String s && EntityTypes.TYPES.contains(s)) {
        return s;
      }
    }
    if (parent != null && key.endsWith("_ids")) {
      Object t = parent.getValue(key.substring(0, key.length() - 4) + "_type");
      if (t instanceof String s && EntityTypes.TYPES.contains(s)) {
        return s;
      }
    }
    return null;
  }

  /**
   * {@code node_id}, {@code target_node_id}, {@code agent_ids}, {@code nodes}: the type the name
   * ends with (by hand: this runs for every string field of every filtered body).
   */
  private static String typedKey(String key) {
    String stem;
    if (key.endsWith("_ids")) {
      stem = key.substring(0, key.length() - 4);
    } else if (key.endsWith("_id")) {
      stem = key.substring(0, key.length() - 3);
    } else if (key.endsWith("s")) {
      stem = key.substring(0, key.length() - 1);
    } else {
      return null;
    }
    int u = stem.lastIndexOf('_');
    String last = u < 0 ? stem : stem.substring(u + 1);
    return EntityTypes.TYPES.contains(last) ? last : null;
  }

  private boolean about(JsonObject o) {
    for (String k : IDENTITY_KEYS) {
      Object v = o.getValue(k);
      if (v instanceof String s) {
        if ("event_type".equals(k) || "subject".equals(k)) {
          if (hidesSubject(s)) {
            return true;
          }
        } else if (hidesRef(s, keyType(k, o))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Null: drop the object; the same instance: unchanged; else a redacted copy. */
  private JsonObject redactObject(JsonObject o) {
    if (about(o)) {
      return null;
    }
    JsonObject copy = null;
    List<String> keys = new ArrayList<>(o.fieldNames());
    for (int i = 0; i < keys.size(); i++) {
      String k = keys.get(i);
      Object v = o.getValue(k);
      Object r;
      if (hidesRef(k, null) && k.indexOf(':') > 0) {
        r = DROP;
      } else if ("raw".equals(k) && "base64".equals(o.getValue("raw_encoding"))) {
        // Bytes the filter cannot read (a rejected binary payload) are withheld.
        r = v == null ? v : DROP;
      } else {
        r = redactValue(v, k, o);
      }
      if (r != v) {
        if (copy == null) {
          copy = new JsonObject();
          for (int j = 0; j < i; j++) {
            copy.put(keys.get(j), o.getValue(keys.get(j)));
          }
        }
        if (r != DROP) {
          copy.put(k, r);
        }
      } else if (copy != null) {
        copy.put(k, v);
      }
    }
    return copy == null ? o : copy;
  }

  private JsonArray redactArray(JsonArray a, String key) {
    JsonArray copy = null;
    for (int i = 0; i < a.size(); i++) {
      Object v = a.getValue(i);
      Object r = redactValue(v, key, null);
      if (r != v) {
        if (copy == null) {
          copy = new JsonArray();
          for (int j = 0; j < i; j++) {
            copy.add(a.getValue(j));
          }
        }
        if (r != DROP) {
          copy.add(r);
        }
      } else if (copy != null) {
        copy.add(v);
      }
    }
    return copy == null ? a : copy;
  }

  private static final Object DROP = new Object();

  private Object redactValue(Object v, String key, JsonObject parent) {
    if (v instanceof JsonObject o) {
      JsonObject r = redactObject(o);
      return r == null ? DROP : r;
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      // Not expected in our JSON trees (Vert.x wraps them on read), but never let one pass unread.
      Object wrapped = v instanceof Map<?, ?> ? mapOf(v) : listOf(v);
      Object r = redactValue(wrapped, key, parent);
      return r == wrapped ? v : r;
    }
    if (v instanceof JsonArray arr) {
      return redactArray(arr, key);
    }
    if (v instanceof String s) {
      if (hidesRef(s, keyType(key, parent))) {
        return DROP;
      }
      if (s.length() > 1 && (s.charAt(0) == '{' || s.charAt(0) == '[')) {
        // JSON kept as text (a rejected event's raw payload) is filtered as JSON.
        Object parsed = parseOrNull(s);
        if (parsed != null) {
          Object r = redactValue(parsed, key, parent);
          if (r == DROP) {
            return DROP;
          }
          if (r != parsed) {
            return r instanceof JsonObject ro ? ro.encode() : ((JsonArray) r).encode();
          }
          return v;
        }
      }
      if (embedded != null && s.indexOf(':') > 0 && mentionsHiddenType(s)) {
        Matcher m = embedded.matcher(s);
        if (m.find()) {
          return m.replaceAll(REDACTED);
        }
      }
    }
    return v;
  }

  /** A cheap test before the pattern: most text with a colon is a timestamp or a URL. */
  private boolean mentionsHiddenType(String s) {
    for (String t : hiddenTypes) {
      if (s.contains(t + ":")) {
        return true;
      }
    }
    return false;
  }

  private static Object parseOrNull(String s) {
    try {
      Object o = io.vertx.core.json.Json.decodeValue(s);
      return o instanceof JsonObject || o instanceof JsonArray ? o : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  @SuppressWarnings("unchecked")
  private static JsonObject mapOf(Object v) {
    return new JsonObject((Map<String, Object>) v);
  }

  @SuppressWarnings("unchecked")
  private static JsonArray listOf(Object v) {
    return new JsonArray((List<Object>) v);
  }

  @Override
  public String toString() {
    return "Visibility[" + (isFull() ? "full" : "hidden=" + key) + "]";
  }
}
