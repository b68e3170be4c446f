package org.daarion.livingmap.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A PostgreSQL location given in libpq form ({@code postgresql://user:pass@host:port/db}, as the
 * original service takes it) or JDBC form ({@code jdbc:postgresql://host:port/db?user=..}).
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

  public static DatabaseUrl parse(String settingName, String value) {
    String v = value.trim();
    if (v.startsWith("jdbc:postgresql:")) {
      return new DatabaseUrl(v, null, null);
    }
    try {
      URI uri = new URI(v);
      if (!("postgresql".equals(uri.getScheme()) || "postgres".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new ConfigException(
            "invalid setting "
                + settingName
                + " = '"
                + redact(v)
                + "': must be postgresql://user:pass@host:port/db or jdbc:postgresql://...");
      }
      String user = null;
      String password = null;
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        user = decode(parts[0]);
        password = parts.length > 1 ? decode(parts[1]) : null;
      }
      int port = uri.getPort() > 0 ? uri.getPort() : 5432;
      String db =
          uri.getPath() == null || uri.getPath().length() <= 1
              ? "postgres"
              : uri.getPath().substring(1);
      String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
      return new DatabaseUrl(
          "jdbc:postgresql://" + uri.getHost() + ":" + port + "/" + db + query, user, password);
    } catch (URISyntaxException e) {
      throw new ConfigException(
          "invalid setting " + settingName + " = '" + redact(v) + "': is not a URL");
    }
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /** Hides the password so that it never reaches a log line. */
  static String redact(String url) {
    return url.replaceAll("://([^:/@]*):[^@]*@", "://$1:***@");
  }

  @Override
  public String toString() {
    return jdbcUrl + (user != null ? " as " + user : "");
  }
}
