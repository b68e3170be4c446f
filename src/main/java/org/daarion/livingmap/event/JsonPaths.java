package org.daarion.livingmap.event;

/**
 * The path ({@code a.b[3].c}) that {@link NulText}, {@link FiniteNumbers} and the upstream reply
 * check report: a chain of segments from the root to the value found, built from the value back and
 * rendered once, so all three name a place the same way.
 */
public final class JsonPaths {
  /** One step of a path; {@link #HERE} ends every chain (the value found). */
  public record Step(String key, int index, Step next) {
    public String render() {
      if (this == HERE) {
        return "(value)";
      }
      StringBuilder b = new StringBuilder();
      for (Step s = this; s != HERE; s = s.next) {
        if (s.key == null) {
          b.append('[').append(s.index).append(']');
        } else {
          if (b.length() > 0) {
            b.append('.');
          }
          b.append(s.key);
        }
      }
      return b.toString();
    }
  }

  public static final Step HERE = new Step(null, -1, null);

  private JsonPaths() {}

  public static Step key(String key, Step below) {
    return new Step(key, -1, below);
  }

  public static Step index(int i, Step below) {
    return new Step(null, i, below);
  }
}
