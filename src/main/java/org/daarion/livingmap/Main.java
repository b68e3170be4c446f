package org.daarion.livingmap;

import java.util.Arrays;
import org.daarion.livingmap.app.Application;
import org.daarion.livingmap.app.GracefulShutdown;
import org.daarion.livingmap.app.SimulateCommand;
import org.daarion.livingmap.config.Config;
import org.daarion.livingmap.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Command line: {@code serve} (the default) runs the service; {@code simulate} runs only the
 * DAARION simulator, publishing to {@code NATS_URL}; {@code help} lists every setting.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String command = "serve";
    String[] rest = args;
    if (args.length > 0 && !args[0].startsWith("-")) {
      command = args[0];
      rest = Arrays.copyOfRange(args, 1, args.length);
    }
    if (command.equals("help")
        || Arrays.asList(rest).contains("--help")
        || Arrays.asList(rest).contains("-h")) {
      System.out.print(Config.help());
      return;
    }
    Config config;
    try {
      config = Config.load(System.getenv(), rest);
    } catch (ConfigException e) {
      System.err.println("living-map: " + e.getMessage());
      System.exit(2);
      return;
    }
    Logging.configure(config.logFormat);
    Logger log = LoggerFactory.getLogger(Main.class);
    switch (command) {
      case "serve" -> {
        try {
          Application app =
              Application.start(config).toCompletionStage().toCompletableFuture().join();
          GracefulShutdown.install(app);
        } catch (RuntimeException e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          log.error("living-map failed to start: {}", cause.getMessage(), cause);
          System.err.println("living-map: failed to start: " + cause.getMessage());
          System.exit(1);
        }
      }
      case "simulate" -> {
        try {
          SimulateCommand.run(config);
        } catch (ConfigException e) {
          System.err.println("living-map: " + e.getMessage());
          System.exit(2);
        }
      }
      default -> {
        System.err.println("living-map: unknown command '" + command + "' (serve, simulate, help)");
        System.exit(2);
      }
    }
  }
}
