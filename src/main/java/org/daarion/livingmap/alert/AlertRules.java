package org.daarion.livingmap.alert;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.daarion.livingmap.config.Durations;
import org.daarion.livingmap.event.Subject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Loads alert rules from YAML or JSON (JSON is read as YAML, so both give line numbers). Every
 * problem is collected with its line and reported at once in an {@link AlertRulesException}.
 *
 * <p>The file is a list of rules, or a mapping with a {@code rules:} list. Keys of a rule:
 *
 * <ul>
 *   <li>{@code name} (required, unique; letters, digits, {@code _ - . :}), {@code severity} ({@code
 *       info}, {@code warning} (default), {@code critical}), {@code labels} (a mapping of strings),
 *       {@code message} (a template, see {@link MessageTemplate});
 *   <li>exactly one of: {@code entity_type} (an entity rule), {@code rate} (a rate rule), {@code
 *       source} (an upstream source rule, a source name or {@code "*"});
 *   <li>entity and source rules: {@code field} (dotted path; sources default to {@code state}),
 *       {@code op} ({@code > >= < <= == != in not_in}), {@code value} (a list for {@code in}), and
 *       for the numeric operators either {@code clear_value} (the value to cross back over before
 *       resolving) or {@code hysteresis} (the distance of that value from {@code value}); entity
 *       rules may add {@code where} (equality filters on the entity's fields);
 *   <li>rate rules: {@code rate: {event_type (a subject pattern or a list of them, NATS wildcards),
 *       where (equality filters on the payload), threshold (a count, or "5/min", "2/s", "100/h"),
 *       window (a duration; implied by a threshold with a unit), per (entity (default), none, or a
 *       payload field), clear_threshold}}}: fires when more than {@code threshold} matching events
 *       fall within the sliding {@code window};
 *   <li>{@code for} (how long the condition must hold before firing; default 0), {@code
 *       keep_firing_for} (how long the clear condition must hold before resolving; default 0).
 * </ul>
 *
 * Durations: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}; a bare number is
 * seconds.
 */
public final class AlertRules {
  private AlertRules() {}

  /** The built-in rules, a resource beside this class. */
  public static final String DEFAULT_RESOURCE = "/alert-rules.yaml";

  /** The longest rate window; windows are kept as counts in buckets. */
  static final Duration MAX_WINDOW = Duration.ofHours(24);

  /** The rules in {@code file}. */
  public static List<AlertRule> load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AlertRulesException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    return parse(text, file.toString());
  }

  /** The built-in default rules. */
  public static List<AlertRule> defaults() {
    try (InputStream in = AlertRules.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new AlertRulesException(List.of(DEFAULT_RESOURCE + ": resource missing"));
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), DEFAULT_RESOURCE);
    } catch (IOException e) {
      throw new AlertRulesException(List.of(DEFAULT_RESOURCE + ": " + e.getMessage()));
    }
  }

  /**
   * The rules in {@code text}; {@code origin} names it in messages.
   *
   * @throws AlertRulesException listing every problem with its line
   */
  public static List<AlertRule> parse(String text, String origin) {
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      root = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw new AlertRulesException(
          List.of(origin + " line " + line + ": not valid YAML/JSON: " + e.getProblem()));
    } catch (YAMLException e) {
      throw new AlertRulesException(List.of(origin + ": not valid YAML/JSON: " + e.getMessage()));
    }
    AlertRuleParser p = new AlertRuleParser(origin);
    List<AlertRule> rules = p.file(root);
    if (!p.problems.isEmpty()) {
      throw new AlertRulesException(p.problems);
    }
    return rules;
  }

  /** A duration in the settings' syntax ({@link Durations}), or null when it is none. */
  static Duration duration(String v) {
    return Durations.parse(v);
  }

  /**
   * A rule's {@code event_type} pattern ({@link Subject}; surrounding blanks ignored), or null when
   * it is not one.
   */
  static Subject eventType(String text) {
    if (text == null || text.isBlank() || Subject.problem(text.trim()) != null) {
      return null;
    }
    return Subject.parse(text.trim());
  }
}
