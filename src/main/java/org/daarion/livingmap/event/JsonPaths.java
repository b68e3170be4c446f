package org.daarion.livingmap.event;

/**
 * The path {@link NulText} and {@link FiniteNumbers} report ({@code a.b[3].c}), built as a walk
 * returns from a find: a chain of segments from the root, rendered once.
 */
final class JsonPaths {
  /** One step of a path; {@link #HERE} ends every chain (the value found). */
  record Step(String key, int index, Step next) {
    String render() {
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

  static final Step HERE = new Step(null, -1, null);

  private JsonPaths() {}

  static Step key(String key, Step below) {
    return new Step(key, -1, below);
  }

  static Step index(int i, Step below) {
    return new Step(null, i, below);
  }
}
