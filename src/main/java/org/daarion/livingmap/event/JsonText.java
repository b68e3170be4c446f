package org.daarion.livingmap.event;

/** Facts about JSON text as bytes, for copying payloads through as they arrived. */
public final class JsonText {
  private JsonText() {}

  /**
   * Whether {@code json}, already accepted by the event parser, is plain JSON text for an object
   * that can be copied into a frame or a COPY row byte for byte: it starts with {@code {} (after
   * JSON whitespace; no byte-order mark) and holds no comment, the one extension the parser allows
   * ({@code /} or {@code #} outside a string).
   */
  public static boolean isPlainObject(byte[] json) {
    int i = 0;
    int n = json.length;
    while (i < n && isWhitespace(json[i])) {
      i++;
    }
    if (i == n || json[i] != '{') {
      return false;
    }
    boolean inString = false;
    for (; i < n; i++) {
      byte b = json[i];
      if (inString) {
        if (b == '\\') {
          i++;
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == '/' || b == '#') {
        return false;
      }
    }
    return true;
  }

  private static boolean isWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
