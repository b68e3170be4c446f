package org.daarion.livingmap.wire;

import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;

/**
 * Direct buffers used only inside one method (growth copies, compression output before its exact
 * copy, a heap input copied outside the heap), freed as soon as they are done with.
 *
 * <p>Why by hand: a JDK direct buffer's memory goes back only when the GC finds the buffer object
 * unreachable. At 100x DAARION each snapshot preparation left several MB of such scratch, and the
 * stored snapshot every interval a copy of 20-45 MB; the objects that had survived a young
 * collection waited in the old generation for the next marking cycle, and the process's direct
 * memory swung between 50 and 190 MB (bench/scale.sh, 2026-12-06). A buffer passed here must have
 * no other reader: its memory is gone afterwards.
 */
public final class Scratch {
  private Scratch() {}

  /** Frees {@code b}'s memory now; {@code b} and every view of it must not be used again. */
  public static void free(ByteBuffer b) {
    if (b != null && b.isDirect()) {
      PlatformDependent.freeDirectBuffer(b);
    }
  }

  /**
   * {@code b} copied into a buffer twice its capacity (or at least {@code min}); {@code b} freed.
   */
  public static ByteBuffer grow(ByteBuffer b, int min) {
    ByteBuffer bigger = ByteBuffer.allocateDirect(Math.max(b.capacity() * 2, min));
    b.flip();
    bigger.put(b);
    free(b);
    return bigger;
  }
}
