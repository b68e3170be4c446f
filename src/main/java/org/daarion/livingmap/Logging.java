package org.daarion.livingmap;

/**
 * Chooses the log format before the first logger is made (logback reads its configuration file
 * once, on first use).
 */
final class Logging {
  private Logging() {}

  static void configure(String format) {
    if ("json".equals(format) && System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }
  }
}
