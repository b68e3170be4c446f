package org.daarion.livingmap.api.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.daarion.livingmap.config.Config;

/**
 * The configured API keys, held as SHA-256 hashes. A presented key is hashed and compared with
 * every configured hash in constant time ({@link MessageDigest#isEqual}), without stopping at a
 * match, so timing says nothing about which key or how much of it matched. Thread-safe.
 */
public final class ApiKeys {
  /** Longest key we hash; longer ones are refused at once. */
  static final int MAX_KEY_CHARS = 1024;

  private final List<Config.ApiKey> keys;
  private final List<String> defaultRoles;

  public ApiKeys(List<Config.ApiKey> keys, List<String> defaultRoles) {
    this.keys = List.copyOf(keys);
    this.defaultRoles = List.copyOf(defaultRoles);
  }

  /** The principal of a valid key (subject = the key's name), or empty. */
  public Optional<Principal> find(String presented) {
    if (presented == null || presented.isEmpty() || presented.length() > MAX_KEY_CHARS) {
      return Optional.empty();
    }
    byte[] hash = sha256(presented);
    Config.ApiKey match = null;
    for (Config.ApiKey k : keys) {
      if (MessageDigest.isEqual(hash, k.sha256()) && match == null) {
        match = k;
      }
    }
    if (match == null) {
      return Optional.empty();
    }
    Set<String> roles = new LinkedHashSet<>(defaultRoles);
    if (match.roles().isEmpty()) {
      roles.add(Principal.READ);
    } else {
      roles.addAll(match.roles());
    }
    return Optional.of(new Principal(match.name(), roles, null, Principal.Method.API_KEY));
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /** Hex SHA-256 of a key, the form {@code LIVING_MAP_API_KEYS} stores. */
  public static String hash(String key) {
    StringBuilder sb = new StringBuilder(64);
    for (byte b : sha256(key)) {
      sb.append(String.format("%02x", b));
    }
    return sb.toString();
  }

  private static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
