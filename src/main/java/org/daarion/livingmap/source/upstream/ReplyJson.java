package org.daarion.livingmap.source.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;
import org.daarion.livingmap.event.JsonPaths;

/**
 * Decodes an upstream reply without holding its whole tree. At 100x DAARION's size the six replies
 * of one poll are 25 MB of JSON, and decoded at once into {@link JsonObject} trees they were about
 * 140 MB of live objects for the seconds of a poll (heap histograms, 2026-12-06): with the state's
 * own 230 MB that overflowed a 614 MB heap into two full collections per poll. Here one pass over
 * the tokens checks the whole reply (syntax, numbers that are not finite, text holding a NUL: any
 * of them refuses the reply as a whole, as before) and notes where each element of a list starts
 * and ends; the lists are then {@link JsonArray}s whose elements are decoded from those bytes each
 * time they are read, so an adapter walking a list holds one element's tree at a time.
 *
 * <p>What the adapters see is what {@link Json#decodeValue(Buffer)} gives for the same bytes (each
 * element and each other value goes through it), except that the lazy lists cannot be changed.
 */
final class ReplyJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  /** What is wrong with a reply, for {@link UpstreamException#badPayload}. */
  static final class Refused extends Exception {
    Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  /** UTF-16 or UTF-32 JSON (Jackson detects them): its offsets are not byte offsets. */
  private static final class NotUtf8 extends IOException {
    NotUtf8() {
      super("not UTF-8", null);
    }
  }

  private ReplyJson() {}

  private static int offset(com.fasterxml.jackson.core.JsonLocation at) throws NotUtf8 {
    long b = at.getByteOffset();
    if (b < 0) {
      throw new NotUtf8();
    }
    return (int) b;
  }

  /**
   * The reply's JSON: a scalar or null as decoded; an array as a lazy {@link JsonArray}; an object
   * with its top-level arrays lazy and its other members decoded.
   */
  static Object decode(byte[] bytes) throws Refused {
    Scan scan = new Scan(bytes);
    try (JsonParser p = FACTORY.createParser(bytes)) {
      scan.run(p);
    } catch (NotUtf8 e) {
      throw new Refused("not JSON in UTF-8");
    } catch (IOException e) {
      throw new Refused("not JSON");
    }
    if (scan.nonFinite != null) {
      // The state holds finite numbers only (see FiniteNumbers).
      throw new Refused("number at " + scan.nonFinite + " is not finite");
    }
    if (scan.nul != null) {
      // Nor text PostgreSQL cannot store (see NulText).
      throw new Refused("text at " + scan.nul.replace("\0", "\\u0000") + " holds a NUL");
    }
    return scan.result;
  }

  /** One pass over the tokens; builds the result as it goes. */
  private static final class Scan {
    private final byte[] bytes;
    Object result;
    String nonFinite;
    String nul;

    Scan(byte[] bytes) {
      this.bytes = bytes;
    }

    void run(JsonParser p) throws IOException {
      JsonToken t = p.nextToken();
      if (t == null) {
        result = null;
        return;
      }
      if (t == JsonToken.START_ARRAY) {
        result = new JsonArray(list(p));
      } else if (t == JsonToken.START_OBJECT) {
        JsonObject o = new JsonObject();
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          checkName(p, name);
          JsonToken v = p.nextToken();
          o.put(name, v == JsonToken.START_ARRAY ? new JsonArray(list(p)) : value(p, v));
        }
        result = o;
      } else {
        result = value(p, t);
      }
      if (p.nextToken() != null) {
        throw new IOException("trailing content");
      }
    }

    /** At a START_ARRAY: its elements as slices, checked; leaves the parser at its END_ARRAY. */
    private Slices list(JsonParser p) throws IOException {
      Slices s = new Slices(bytes);
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new IOException("unexpected end");
        }
        int start = offset(p.currentTokenLocation());
        check(p, t);
        end(p, t);
        s.add(start, offset(p.currentLocation()));
      }
      return s;
    }

    /** A value other than a top-level list, decoded as Vert.x decodes it, after its checks. */
    private Object value(JsonParser p, JsonToken t) throws IOException {
      int start = offset(p.currentTokenLocation());
      check(p, t);
      end(p, t);
      int end = offset(p.currentLocation());
      return decodeSlice(bytes, start, end);
    }

    /**
     * Moves the parser past the value token {@code t} starts, so that its location is the value's
     * end: a structure is walked, and a text finished (Jackson reads one only when asked).
     */
    private void end(JsonParser p, JsonToken t) throws IOException {
      if (t.isStructStart()) {
        walk(p);
      } else {
        p.finishToken();
      }
    }

    /** Checks everything inside the structure just started; leaves the parser at its end. */
    private void walk(JsonParser p) throws IOException {
      int depth = 1;
      while (depth > 0) {
        JsonToken t = p.nextToken();
        if (t == null) {
          throw new IOException("unexpected end");
        }
        if (t.isStructStart()) {
          depth++;
        } else if (t.isStructEnd()) {
          depth--;
        } else if (t == JsonToken.FIELD_NAME) {
          checkName(p, p.currentName());
        } else {
          check(p, t);
        }
      }
    }

    private void checkName(JsonParser p, String name) {
      if (nul == null && name.indexOf('\0') >= 0) {
        nul = path(p.getParsingContext());
      }
    }

    private void check(JsonParser p, JsonToken t) throws IOException {
      if (t == JsonToken.VALUE_STRING) {
        if (nul == null && hasNul(p)) {
          nul = path(p.getParsingContext());
        }
      } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
        if (nonFinite == null && !Double.isFinite(p.getDoubleValue())) {
          nonFinite = path(p.getParsingContext());
        }
      } else if (t == JsonToken.VALUE_NUMBER_INT) {
        if (nonFinite == null
            && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            && !Double.isFinite(p.getBigIntegerValue().doubleValue())) {
          nonFinite = path(p.getParsingContext());
        }
      }
    }

    /** Without making a String of every text in the reply. */
    private static boolean hasNul(JsonParser p) throws IOException {
      char[] chars = p.getTextCharacters();
      int from = p.getTextOffset();
      int to = from + p.getTextLength();
      for (int i = from; i < to; i++) {
        if (chars[i] == '\0') {
          return true;
        }
      }
      return false;
    }

    /**
     * {@code a.b[3].c} for the value or name the parser is at, as NulText and FiniteNumbers say.
     */
    private static String path(JsonStreamContext c) {
      JsonPaths.Step s = JsonPaths.HERE;
      for (; c != null && !c.inRoot(); c = c.getParent()) {
        if (c.inArray()) {
          s = JsonPaths.index(c.getCurrentIndex(), s);
        } else if (c.getCurrentName() != null) {
          s = JsonPaths.key(c.getCurrentName(), s);
        }
      }
      return s.render();
    }
  }

  static Object decodeSlice(byte[] bytes, int start, int end) {
    try {
      return Json.decodeValue(Buffer.buffer(Arrays.copyOfRange(bytes, start, end)));
    } catch (DecodeException e) {
      // The scan parsed these very bytes; a slice that does not decode is a bug here.
      throw new IllegalStateException("slice " + start + ".." + end + " did not decode", e);
    }
  }

  /**
   * A list's elements as slices of the reply's bytes, each decoded when read (a fresh value every
   * time: change one and the list does not see it). Read-only.
   */
  static final class Slices extends AbstractList<Object> implements RandomAccess {
    private final byte[] bytes;
    private int[] bounds = new int[16];
    private int size;

    Slices(byte[] bytes) {
      this.bytes = bytes;
    }

    void add(int start, int end) {
      if (2 * size + 2 > bounds.length) {
        bounds = Arrays.copyOf(bounds, bounds.length * 2);
      }
      bounds[2 * size] = start;
      bounds[2 * size + 1] = end;
      size++;
    }

    @Override
    public Object get(int i) {
      if (i < 0 || i >= size) {
        throw new IndexOutOfBoundsException(i);
      }
      return decodeSlice(bytes, bounds[2 * i], bounds[2 * i + 1]);
    }

    @Override
    public int size() {
      return size;
    }
  }
}
