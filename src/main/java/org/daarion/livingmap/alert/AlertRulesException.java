package org.daarion.livingmap.alert;

import java.util.List;

/**
 * A rule file that cannot be used: every problem found, each with the file, the line and the reason
 * ({@code rules.yaml line 12: rule 'cpu_high': op must be one of >, >=, ... (got '=>')}). Thrown at
 * start; the service refuses to start with it.
 */
public final class AlertRulesException extends RuntimeException {
  private final List<String> problems;

  public AlertRulesException(List<String> problems) {
    super(
        "invalid alert rules ("
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "):\n  "
            + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
