package org.daarion.livingmap.app;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Stops the service in order on SIGTERM and SIGINT. JVM shutdown hooks run concurrently, and the
 * embedded PostgreSQL registers its own hook that stops the database at once; were we to close in a
 * hook too, the last history batch and the final stored snapshot would race the database's death.
 * So the signal runs our close first (which stops the database last), and only then exits.
 */
public final class GracefulShutdown {
  private static final Logger log = LoggerFactory.getLogger(GracefulShutdown.class);

  private GracefulShutdown() {}

  public static void install(AutoCloseable service) {
    AtomicBoolean done = new AtomicBoolean();
    Runnable close =
        () -> {
          if (done.compareAndSet(false, true)) {
            log.info("stopping: flushing history and storing a final snapshot");
            try {
              service.close();
            } catch (Exception e) {
              log.warn("error while stopping: {}", e.toString());
            }
          }
        };
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(
            new Signal(name),
            signal ->
                new Thread(
                        () -> {
                          close.run();
                          System.exit(0);
                        },
                        "shutdown-" + name)
                    .start());
      } catch (IllegalArgumentException e) {
        log.debug("cannot handle SIG{}: {}", name, e.getMessage());
      }
    }
    // Any other way out (System.exit elsewhere) still tries to close.
    Runtime.getRuntime().addShutdownHook(new Thread(close, "shutdown"));
  }
}
