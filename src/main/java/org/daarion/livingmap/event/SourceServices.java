package org.daarion.livingmap.event;

/** Which DAARION service a subject belongs to, for history's {@code source_service}. */
public final class SourceServices {
  private SourceServices() {}

  public static String forSubject(String subject) {
    String first = firstToken(subject);
    return switch (first) {
      case "city" -> "city-service";
      case "dao" -> "dao-service";
      case "microdao" -> "microdao-service";
      case "node" -> "node-registry";
      case "agent" -> "agents-service";
      case "usage" -> "usage-engine";
      case "messaging" -> "messaging-service";
      case "living_map" -> "living-map-service";
      default -> first;
    };
  }

  static String firstToken(String subject) {
    int dot = subject.indexOf('.');
    return dot < 0 ? subject : subject.substring(0, dot);
  }
}
