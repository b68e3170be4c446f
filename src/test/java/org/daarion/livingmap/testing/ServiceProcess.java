package org.daarion.livingmap.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service as a separate JVM ({@code java -cp <test classpath> org.daarion.livingmap.Main
 * serve}), for tests that kill it the way an operating system would. Output goes to a log file in
 * the data directory, appended across restarts. Not thread-safe: one test thread drives it.
 */
public final class ServiceProcess implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Map<String, String> env;
  private final int port;
  private final Path logFile;
  private final List<String> jvmOptions;
  private final Path jar;
  private Process process;

  /**
   * @param env the service's settings (environment variables); {@code PORT} is chosen here
   * @param dataDir {@code LIVING_MAP_DATA_DIR}; the log file goes there too
   */
  public ServiceProcess(Map<String, String> env, Path dataDir) {
    this(env, dataDir, List.of("-Xmx512m"));
  }

  /**
   * @param jvmOptions the service JVM's options (heap size and the like), instead of {@code
   *     -Xmx512m}
   */
  public ServiceProcess(Map<String, String> env, Path dataDir, List<String> jvmOptions) {
    this(env, dataDir, jvmOptions, null);
  }

  /**
   * @param jar the packaged service ({@code java -jar target/living-map.jar serve}) instead of the
   *     test classpath: benchmarks measure what ships; null for the test classpath
   */
  public ServiceProcess(Map<String, String> env, Path dataDir, List<String> jvmOptions, Path jar) {
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.port = TestDatabase.freePort();
    this.env = new java.util.HashMap<>(env);
    this.env.put("PORT", Integer.toString(port));
    this.env.put("LIVING_MAP_HOST", "127.0.0.1");
    this.env.put("LIVING_MAP_DATA_DIR", dataDir.toString());
    this.logFile = dataDir.resolve("service.log");
  }

  public int port() {
    return port;
  }

  /** Starts the JVM and waits until {@code /living-map/health/ready} answers 200. */
  public void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("already running");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    if (jar != null) {
      cmd.add("-jar");
      cmd.add(jar.toString());
    } else {
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("org.daarion.livingmap.Main");
    }
    cmd.add("serve");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    pb.environment().putAll(env);
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process started = process;
    Runtime.getRuntime()
        .addShutdownHook(new Thread(started::destroyForcibly, "service-kill-" + port));
    awaitReady();
  }

  private void awaitReady() {
    Http http = new Http(port);
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "service exited with " + process.exitValue() + " at start:\n" + tail());
      }
      try {
        Http.Response r = http.get("/living-map/health/ready");
        if (r.status() == 200) {
          return;
        }
        last = r.status() + " " + r.body();
      } catch (UncheckedIOException e) {
        last = e.getMessage();
      }
      try {
        // a poll interval while the JVM starts, not a synchronisation
        process.waitFor(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("service not ready in " + READY_TIMEOUT + ": " + last);
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. Waits for the process to be gone. */
  public void kill() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("service did not die after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** SIGTERM: the shutdown hook flushes history and stores a snapshot. */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** The running JVM's process id (benchmarks read its CPU time); -1 when not running. */
  public long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The last 200 lines of the service's log (for failure messages). */
  public String tail() {
    try {
      if (!Files.exists(logFile)) {
        return "";
      }
      List<String> lines = Files.readAllLines(logFile);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  public Path logFile() {
    return logFile;
  }

  @Override
  public void close() {
    kill();
  }
}
