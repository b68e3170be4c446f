package org.daarion.livingmap.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.daarion.livingmap.event.Subject;
import org.daarion.livingmap.state.EntityTypes;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One pass over one rules file ({@link AlertRules} describes the format); collects problems instead
 * of stopping at the first. A rule is read section by section: the common keys in {@link #rule},
 * the condition in {@link #rate} or {@link #condition}, each filling a {@link Draft}.
 */
final class AlertRuleParser {
  private static final Duration MAX_WINDOW = AlertRules.MAX_WINDOW;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]+");
  private static final Pattern RATE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*/\\s*(s|sec|second|m|min|minute|h|hour)");
  private static final Set<String> RULE_KEYS =
      Set.of(
          "name",
          "description",
          "entity_type",
          "source",
          "rate",
          "field",
          "op",
          "value",
          "clear_value",
          "hysteresis",
          "where",
          "for",
          "keep_firing_for",
          "severity",
          "labels",
          "message");
  private static final Set<String> RATE_KEYS =
      Set.of("event_type", "where", "threshold", "window", "per", "clear_threshold");

  final String origin;
  final List<String> problems = new ArrayList<>();
  String rule = null;

  AlertRuleParser(String origin) {
    this.origin = origin;
  }

  void problem(Node at, String why) {
    int line = at == null ? 0 : at.getStartMark().getLine() + 1;
    problems.add(
        origin + " line " + line + ": " + (rule == null ? "" : "rule '" + rule + "': ") + why);
  }

  List<AlertRule> file(Node root) {
    List<AlertRule> out = new ArrayList<>();
    if (root == null) {
      return out;
    }
    Node list = root;
    if (root instanceof MappingNode m) {
      Map<String, NodeTuple> top = keys(m, Set.of("rules"));
      NodeTuple rules = top.get("rules");
      if (rules == null) {
        problem(root, "expected a list of rules or a mapping with 'rules:'");
        return out;
      }
      list = rules.getValueNode();
    }
    if (!(list instanceof SequenceNode seq)) {
      problem(list, "expected a list of rules");
      return out;
    }
    Set<String> names = new HashSet<>();
    for (Node item : seq.getValue()) {
      rule = null;
      if (!(item instanceof MappingNode m)) {
        problem(item, "a rule must be a mapping of keys (name, entity_type, field, ...)");
        continue;
      }
      int before = problems.size();
      AlertRule r = rule(m);
      if (r != null && !names.add(r.name())) {
        problem(item, "duplicate rule name");
        continue;
      }
      if (r != null && problems.size() == before) {
        out.add(r);
      }
    }
    rule = null;
    return out;
  }

  /** A rule's condition, filled by the section of its kind. */
  private static final class Draft {
    String entityType;
    String source;
    FieldPath field;
    Op op;
    Object value;
    Object clearValue;
    Map<FieldPath, Object> where = Map.of();
    List<Subject> patterns = List.of();
    String per;
    double threshold;
    double clearThreshold;
    Duration window = Duration.ZERO;
  }

  /** One rule: the common keys here, the condition in {@link #rate} or {@link #condition}. */
  private AlertRule rule(MappingNode m) {
    for (NodeTuple t : m.getValue()) {
      if ("name".equals(scalar(t.getKeyNode())) && scalar(t.getValueNode()) instanceof String n) {
        rule = n;
      }
    }
    Map<String, NodeTuple> k = keys(m, RULE_KEYS);
    String name = string(k, "name", m, true);
    if (name != null) {
      rule = name;
      if (!NAME.matcher(name).matches()) {
        problem(k.get("name").getValueNode(), "name may hold only letters, digits, _ - . :");
      }
    }
    int kinds =
        (k.containsKey("entity_type") ? 1 : 0)
            + (k.containsKey("rate") ? 1 : 0)
            + (k.containsKey("source") ? 1 : 0);
    if (kinds != 1) {
      problem(m, "needs exactly one of entity_type, rate, source (got " + kinds + ")");
      return null;
    }
    AlertRule.Kind kind =
        k.containsKey("entity_type")
            ? AlertRule.Kind.ENTITY
            : k.containsKey("rate") ? AlertRule.Kind.RATE : AlertRule.Kind.SOURCE;
    Severity severity = severity(k, m);
    Map<String, String> labels = labels(k);
    Duration forDuration = durationOf(k, "for", m);
    Duration keep = durationOf(k, "keep_firing_for", m);
    Draft d = new Draft();
    if (kind == AlertRule.Kind.RATE) {
      if (!rate(k, d)) {
        return null;
      }
    } else {
      condition(kind, k, m, d);
    }
    MessageTemplate message = message(kind, k, m);
    if (name == null
        || severity == null
        || message == null
        || forDuration == null
        || keep == null) {
      return null;
    }
    return new AlertRule(
        name,
        kind,
        m.getStartMark().getLine() + 1,
        d.entityType,
        d.source,
        d.field,
        d.op,
        d.value,
        d.clearValue,
        d.where,
        d.patterns,
        d.per,
        d.threshold,
        d.clearThreshold,
        d.window,
        forDuration,
        keep,
        severity,
        Map.copyOf(labels),
        message);
  }

  /** {@code severity}; null after a problem. */
  private Severity severity(Map<String, NodeTuple> k, Node m) {
    Severity severity = Severity.WARNING;
    String sev = string(k, "severity", m, false);
    if (sev != null) {
      severity = Severity.parse(sev);
      if (severity == null) {
        problem(
            k.get("severity").getValueNode(),
            "severity must be one of info, warning, critical (got '" + sev + "')");
      }
    }
    return severity;
  }

  private Map<String, String> labels(Map<String, NodeTuple> k) {
    Map<String, String> labels = new LinkedHashMap<>();
    NodeTuple lt = k.get("labels");
    if (lt != null) {
      if (lt.getValueNode() instanceof MappingNode lm) {
        for (NodeTuple t : lm.getValue()) {
          Object key = scalar(t.getKeyNode());
          Object v = scalar(t.getValueNode());
          if (key == null || v == null || v instanceof Unsupported) {
            problem(t.getKeyNode(), "labels must map names to plain values");
          } else {
            labels.put(key.toString(), v.toString());
          }
        }
      } else {
        problem(lt.getValueNode(), "labels must be a mapping of names to values");
      }
    }
    return labels;
  }

  /** The {@code rate:} section; false when it is not a mapping (the rule is dropped at once). */
  private boolean rate(Map<String, NodeTuple> k, Draft d) {
    for (String key : List.of("field", "op", "value", "clear_value", "hysteresis", "where")) {
      if (k.containsKey(key)) {
        problem(
            k.get(key).getKeyNode(),
            key + " does not apply to a rate rule (put filters in rate.where)");
      }
    }
    Node rn = k.get("rate").getValueNode();
    if (!(rn instanceof MappingNode rm)) {
      problem(rn, "rate must be a mapping (event_type, where, threshold, window, per)");
      return false;
    }
    Node rateKey = k.get("rate").getKeyNode();
    Map<String, NodeTuple> r = keys(rm, RATE_KEYS);
    d.patterns = patterns(r, rateKey);
    d.where = where(r.get("where"));
    d.per = string(r, "per", rm, false);
    if (d.per == null) {
      d.per = "entity";
    }
    NodeTuple tt = r.get("threshold");
    if (tt == null) {
      problem(rateKey, "rate.threshold is required (a count within the window, or like 5/min)");
    } else {
      threshold(tt, d);
    }
    Duration w = durationOf(r, "window", rm);
    if (r.containsKey("window")) {
      if (!d.window.isZero() && w != null && !w.equals(d.window)) {
        problem(r.get("window").getValueNode(), "rate.window contradicts the threshold's unit");
      }
      if (w != null) {
        d.window = w;
      }
    }
    if (d.window.isZero() && tt != null) {
      problem(rateKey, "rate.window is required (or a threshold like 5/min)");
    } else if (d.window.compareTo(MAX_WINDOW) > 0) {
      problem(rateKey, "rate.window must be at most 24h");
    }
    d.clearThreshold = d.threshold;
    NodeTuple ct = r.get("clear_threshold");
    if (ct != null) {
      if (scalar(ct.getValueNode()) instanceof Number n && n.doubleValue() <= d.threshold) {
        d.clearThreshold = n.doubleValue();
      } else {
        problem(ct.getValueNode(), "rate.clear_threshold must be a number at most the threshold");
      }
    }
    return true;
  }

  /** {@code rate.threshold}: a count, or a count per unit that also sets the window. */
  private void threshold(NodeTuple tt, Draft d) {
    Object tv = scalar(tt.getValueNode());
    if (tv instanceof Number n) {
      d.threshold = n.doubleValue();
    } else if (tv instanceof String s && RATE.matcher(s.trim()).matches()) {
      Matcher mm = RATE.matcher(s.trim());
      mm.matches();
      d.threshold = Double.parseDouble(mm.group(1));
      d.window =
          switch (mm.group(2).charAt(0)) {
            case 's' -> Duration.ofSeconds(1);
            case 'm' -> Duration.ofMinutes(1);
            default -> Duration.ofHours(1);
          };
    } else {
      problem(
          tt.getValueNode(), "rate.threshold must be a number or like 5/min (got '" + tv + "')");
    }
    if (d.threshold < 0) {
      problem(tt.getValueNode(), "rate.threshold must not be negative");
    }
  }

  /** An entity or source rule's condition: what, {@code field}, {@code op}, {@code value}. */
  private void condition(AlertRule.Kind kind, Map<String, NodeTuple> k, MappingNode m, Draft d) {
    if (kind == AlertRule.Kind.ENTITY) {
      d.entityType = string(k, "entity_type", m, true);
      if (d.entityType != null && !EntityTypes.TYPES.contains(d.entityType)) {
        problem(
            k.get("entity_type").getValueNode(),
            "entity_type must be one of "
                + String.join(", ", EntityTypes.TYPES)
                + " (got '"
                + d.entityType
                + "')");
      }
      d.where = where(k.get("where"));
    } else {
      d.source = string(k, "source", m, true);
      if (k.containsKey("where")) {
        problem(k.get("where").getKeyNode(), "where does not apply to a source rule");
      }
    }
    String f = string(k, "field", m, kind == AlertRule.Kind.ENTITY);
    if (f == null && kind == AlertRule.Kind.SOURCE) {
      f = "state";
    }
    if (f != null) {
      d.field = FieldPath.of(f);
      if (f.isBlank() || f.startsWith(".") || f.endsWith(".") || f.contains("..")) {
        problem(k.get("field").getValueNode(), "field must be a dotted path such as metrics.cpu");
      }
    }
    String o = string(k, "op", m, true);
    if (o != null) {
      d.op = Op.parse(o.trim());
      if (d.op == null) {
        problem(
            k.get("op").getValueNode(), "op must be one of " + Op.symbols() + " (got '" + o + "')");
      }
    }
    NodeTuple vt = k.get("value");
    if (vt == null) {
      problem(m, "value is required");
    } else if (d.op != null) {
      d.value = valueFor(d.op, vt.getValueNode());
    }
    d.clearValue = d.value;
    clearValue(k, d);
  }

  /** {@code clear_value} or {@code hysteresis}: where a numeric condition clears. */
  private void clearValue(Map<String, NodeTuple> k, Draft d) {
    NodeTuple cv = k.get("clear_value");
    NodeTuple hy = k.get("hysteresis");
    Op op = d.op;
    if (cv != null && hy != null) {
      problem(hy.getKeyNode(), "give clear_value or hysteresis, not both");
    } else if ((cv != null || hy != null) && op != null && d.value instanceof Number n) {
      if (!op.numeric) {
        problem(
            (cv != null ? cv : hy).getKeyNode(),
            "clear_value and hysteresis apply only to > >= < <=");
      } else if (cv != null) {
        Object c = scalar(cv.getValueNode());
        if (!(c instanceof Number cn)) {
          problem(cv.getValueNode(), "clear_value must be a number");
        } else if (op.above()
            ? cn.doubleValue() > n.doubleValue()
            : cn.doubleValue() < n.doubleValue()) {
          problem(
              cv.getValueNode(),
              "clear_value must be on the clear side of value ("
                  + (op.above() ? "at most " : "at least ")
                  + n
                  + ")");
        } else {
          d.clearValue = cn.doubleValue();
        }
      } else {
        Object h = scalar(hy.getValueNode());
        if (!(h instanceof Number hn) || hn.doubleValue() < 0) {
          problem(hy.getValueNode(), "hysteresis must be a number, zero or more");
        } else {
          d.clearValue =
              op.above() ? n.doubleValue() - hn.doubleValue() : n.doubleValue() + hn.doubleValue();
        }
      }
    }
  }

  /** {@code message}, or the kind's default; null after a problem. */
  private MessageTemplate message(AlertRule.Kind kind, Map<String, NodeTuple> k, Node m) {
    String text = string(k, "message", m, false);
    if (text == null) {
      text = defaultMessage(kind);
    }
    try {
      return MessageTemplate.compile(text);
    } catch (IllegalArgumentException e) {
      problem(
          k.containsKey("message") ? k.get("message").getValueNode() : m,
          "message: " + e.getMessage());
      return null;
    }
  }

  private static String defaultMessage(AlertRule.Kind kind) {
    return switch (kind) {
      case ENTITY -> "{{rule}}: {{entity.name}} {{field}} is {{value}}";
      case RATE -> "{{rule}}: {{value}} events in {{window}} for {{key}} (threshold {{threshold}})";
      case SOURCE -> "{{rule}}: source {{source}} {{field}} is {{value}}";
    };
  }

  private Object valueFor(Op op, Node node) {
    if (op == Op.IN || op == Op.NOT_IN) {
      if (!(node instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
        problem(node, "value must be a non-empty list for " + op.symbol);
        return null;
      }
      List<Object> values = new ArrayList<>();
      for (Node n : seq.getValue()) {
        Object v = scalar(n);
        if (v == null || v instanceof Unsupported) {
          problem(n, "list items must be plain values");
        } else {
          values.add(v);
        }
      }
      return List.copyOf(values);
    }
    Object v = scalar(node);
    if (v == null || v instanceof Unsupported) {
      problem(node, "value must be a plain value (number, string or boolean)");
      return null;
    }
    if (op.numeric && !(v instanceof Number)) {
      problem(node, "value must be a number for " + op.symbol + " (got '" + v + "')");
      return null;
    }
    return v;
  }

  private List<Subject> patterns(Map<String, NodeTuple> r, Node at) {
    NodeTuple t = r.get("event_type");
    if (t == null) {
      problem(at, "rate.event_type is required (a subject pattern such as usage.llm.> or a list)");
      return List.of();
    }
    List<Node> nodes =
        t.getValueNode() instanceof SequenceNode s ? s.getValue() : List.of(t.getValueNode());
    List<Subject> out = new ArrayList<>();
    for (Node n : nodes) {
      Object v = scalar(n);
      Subject p = v instanceof String s ? AlertRules.eventType(s) : null;
      if (p == null) {
        problem(
            n, "'" + v + "' is not a subject pattern (tokens separated by dots, * or a final >)");
      } else {
        out.add(p);
      }
    }
    if (nodes.isEmpty()) {
      problem(t.getValueNode(), "rate.event_type must not be empty");
    }
    return List.copyOf(out);
  }

  private Map<FieldPath, Object> where(NodeTuple t) {
    if (t == null) {
      return Map.of();
    }
    if (!(t.getValueNode() instanceof MappingNode wm)) {
      problem(t.getValueNode(), "where must be a mapping of field: value");
      return Map.of();
    }
    Map<FieldPath, Object> out = new LinkedHashMap<>();
    for (NodeTuple w : wm.getValue()) {
      Object key = scalar(w.getKeyNode());
      Object v = scalar(w.getValueNode());
      if (!(key instanceof String) || v == null || v instanceof Unsupported) {
        problem(w.getKeyNode(), "where must map field names to plain values");
      } else {
        out.put(FieldPath.of((String) key), v);
      }
    }
    return Map.copyOf(out);
  }

  private Duration durationOf(Map<String, NodeTuple> k, String key, Node at) {
    NodeTuple t = k.get(key);
    if (t == null) {
      return Duration.ZERO;
    }
    Object v = scalar(t.getValueNode());
    Duration d =
        v instanceof String || v instanceof Long ? AlertRules.duration(v.toString()) : null;
    if (d == null) {
      problem(t.getValueNode(), key + " must be a duration such as 30s, 5m, 2h (got '" + v + "')");
    }
    return d;
  }

  private String string(Map<String, NodeTuple> k, String key, Node at, boolean required) {
    NodeTuple t = k.get(key);
    if (t == null) {
      if (required) {
        problem(at, key + " is required");
      }
      return null;
    }
    Object v = scalar(t.getValueNode());
    if (v == null || v instanceof Unsupported || v.toString().isBlank()) {
      problem(t.getValueNode(), key + " must be a non-empty string");
      return null;
    }
    return v.toString();
  }

  /** The mapping's keys; unknown and duplicate keys are problems. */
  private Map<String, NodeTuple> keys(MappingNode m, Set<String> known) {
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      Object key = scalar(t.getKeyNode());
      if (!(key instanceof String s)) {
        problem(t.getKeyNode(), "keys must be strings");
        continue;
      }
      if (!known.contains(s)) {
        problem(
            t.getKeyNode(),
            "unknown key '"
                + s
                + "' (known: "
                + String.join(", ", known.stream().sorted().toList())
                + ")");
        continue;
      }
      if (out.put(s, t) != null) {
        problem(t.getKeyNode(), "duplicate key '" + s + "'");
      }
    }
    return out;
  }

  /** Marks a node that is not a plain scalar. */
  private record Unsupported(String kind) {
    @Override
    public String toString() {
      return "<" + kind + ">";
    }
  }

  /** A scalar node's value typed by its resolved tag; an {@link Unsupported} for others. */
  static Object scalar(Node n) {
    if (!(n instanceof ScalarNode s)) {
      return new Unsupported(n instanceof SequenceNode ? "list" : "mapping");
    }
    String v = s.getValue();
    Tag tag = s.getTag();
    try {
      if (Tag.NULL.equals(tag)) {
        return null;
      }
      if (Tag.BOOL.equals(tag)) {
        return Boolean.parseBoolean(v.toLowerCase(Locale.ROOT))
            || Set.of("yes", "on", "y").contains(v.toLowerCase(Locale.ROOT));
      }
      if (Tag.INT.equals(tag)) {
        return Long.parseLong(v.replace("_", ""));
      }
      if (Tag.FLOAT.equals(tag)) {
        return Double.parseDouble(v.replace("_", ""));
      }
    } catch (NumberFormatException e) {
      return v;
    }
    return v;
  }
}
