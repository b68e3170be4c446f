package org.daarion.livingmap.api.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies DAARION access tokens: compact JWS, {@code HS256} with the shared secret or {@code
 * RS256/384/512} and {@code ES256/384} with keys from a {@link Jwks}; signatures are checked by
 * Nimbus JOSE+JWT's verifiers. The algorithm must fit the configured key ({@code none} and
 * HMAC-with-a-public-key are refused). Checks, in order: signature, {@code exp} (required) and
 * {@code nbf} with the leeway, {@code iss}, {@code aud} when configured, {@code sub} (required).
 * Roles come from {@code roles} (array or comma/space separated string), {@code scope}/{@code scp},
 * plus the configured default roles. Thread-safe; runs on the caller's event loop (a signature
 * check is microseconds).
 */
public final class JwtVerifier {
  /** Longest token we look at; longer ones are refused before any decoding. */
  static final int MAX_TOKEN_CHARS = 8192;

  private final SecretKeySpec hmacKey;
  private final MACVerifier hmacVerifier;
  private final Jwks jwks;
  private final String issuer;
  private final List<String> audience;
  private final Duration leeway;
  private final Clock clock;
  private final List<String> defaultRoles;

  /**
   * @param secret HS256 secret, or null
   * @param jwks key set for RS/ES tokens, or null
   * @param issuer required {@code iss}; {@code *} accepts any
   * @param audience accepted {@code aud} values; empty: not checked
   */
  public JwtVerifier(
      String secret,
      Jwks jwks,
      String issuer,
      List<String> audience,
      Duration leeway,
      Clock clock,
      List<String> defaultRoles) {
    this.hmacKey =
        secret == null
            ? null
            : new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.hmacVerifier = macVerifier(secret);
    this.jwks = jwks;
    this.issuer = issuer;
    this.audience = List.copyOf(audience);
    this.leeway = leeway;
    this.clock = clock;
    this.defaultRoles = List.copyOf(defaultRoles);
  }

  private static MACVerifier macVerifier(String secret) {
    if (secret == null) {
      return null;
    }
    try {
      return new MACVerifier(secret.getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException shorterThan256Bits) {
      return null;
    }
  }

  /** The principal of a valid token; otherwise a failed future with a 401 {@link AuthException}. */
  public Future<Principal> verify(String token) {
    try {
      return verifyChecked(token);
    } catch (AuthException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(AuthException.unauthorized("malformed token"));
    }
  }

  private Future<Principal> verifyChecked(String token) {
    if (token == null || token.isEmpty()) {
      throw AuthException.unauthorized("empty token");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw AuthException.unauthorized("token too long");
    }
    int d1 = token.indexOf('.');
    int d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
    if (d1 <= 0 || d2 < 0 || token.indexOf('.', d2 + 1) >= 0 || d2 == token.length() - 1) {
      throw AuthException.unauthorized(
          "malformed token: not a signed JWT (header.payload.signature)");
    }
    JsonObject header = json(token.substring(0, d1), "header");
    JsonObject claims = json(token.substring(d1 + 1, d2), "payload");
    byte[] signed = token.substring(0, d2).getBytes(StandardCharsets.US_ASCII);
    byte[] signature = b64(token.substring(d2 + 1), "signature");
    Object algValue = header.getValue("alg");
    String alg = algValue instanceof String s ? s : "";
    Object kidValue = header.getValue("kid");
    String kid = kidValue instanceof String s ? s : null;
    switch (alg) {
      case "HS256" -> {
        if (hmacKey == null) {
          throw AuthException.unauthorized(
              "HS256 tokens are not accepted (no shared secret configured)");
        }
        if (!hmacValid(token, signed, signature)) {
          throw AuthException.unauthorized("invalid token signature");
        }
        return Future.succeededFuture(principal(claims));
      }
      case "RS256", "RS384", "RS512", "ES256", "ES384" -> {
        if (jwks == null) {
          throw AuthException.unauthorized(
              alg + " tokens are not accepted (no JWKS URL configured)");
        }
        String kty = alg.startsWith("RS") ? "RSA" : "EC";
        return jwks.find(kid, kty)
            .compose(
                key -> {
                  if (!verifySignature(alg, key, token)) {
                    return Future.failedFuture(
                        AuthException.unauthorized("invalid token signature"));
                  }
                  try {
                    return Future.succeededFuture(principal(claims));
                  } catch (AuthException e) {
                    return Future.failedFuture(e);
                  }
                });
      }
      default -> throw AuthException.unauthorized("unsupported token algorithm '" + alg + "'");
    }
  }

  /**
   * HS256 by Nimbus's {@code MACVerifier}. Nimbus refuses secrets under 256 bits; a shorter one
   * (the start-up warns about it) is still checked, by the JDK's HMAC with a constant-time compare,
   * so that configurations that worked keep working.
   */
  private boolean hmacValid(String token, byte[] signed, byte[] signature) {
    if (hmacVerifier == null) {
      return MessageDigest.isEqual(hmac(signed), signature);
    }
    try {
      JWSObject jws = JWSObject.parse(token);
      return jws.getHeader().getAlgorithm().equals(JWSAlgorithm.HS256) && jws.verify(hmacVerifier);
    } catch (java.text.ParseException | JOSEException | RuntimeException e) {
      return false;
    }
  }

  private byte[] hmac(byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(hmacKey);
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * RS256/384/512 and ES256/384 by Nimbus's verifiers: the algorithm must match the token's header
   * and the key (an ES256 token needs a P-256 key and a 64-byte JOSE signature; Nimbus checks
   * both).
   */
  private static boolean verifySignature(String alg, Jwks.Key key, String token) {
    try {
      JWSObject jws = JWSObject.parse(token);
      if (!jws.getHeader().getAlgorithm().getName().equals(alg)) {
        return false;
      }
      JWSVerifier verifier;
      if (alg.startsWith("RS") && key.key() instanceof java.security.interfaces.RSAPublicKey rsa) {
        verifier = new RSASSAVerifier(rsa);
      } else if (alg.equals("ES256") && "P-256".equals(key.crv())
          || alg.equals("ES384") && "P-384".equals(key.crv())) {
        verifier = new ECDSAVerifier((java.security.interfaces.ECPublicKey) key.key());
      } else {
        return false;
      }
      return jws.verify(verifier);
    } catch (java.text.ParseException | JOSEException | RuntimeException e) {
      return false;
    }
  }

  private Principal principal(JsonObject claims) {
    Instant now = clock.instant();
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number expNum)) {
      throw AuthException.unauthorized("token has no expiry (exp)");
    }
    Instant expiresAt = Instant.ofEpochSecond(expNum.longValue());
    if (!now.minus(leeway).isBefore(expiresAt)) {
      throw AuthException.unauthorized("token expired at " + expiresAt);
    }
    Object nbf = claims.getValue("nbf");
    if (nbf instanceof Number n
        && now.plus(leeway).isBefore(Instant.ofEpochSecond(n.longValue()))) {
      throw AuthException.unauthorized(
          "token not valid before " + Instant.ofEpochSecond(n.longValue()));
    }
    if (!"*".equals(issuer)) {
      Object iss = claims.getValue("iss");
      if (!issuer.equals(iss)) {
        throw AuthException.unauthorized("token issuer is not " + issuer);
      }
    }
    if (!audience.isEmpty() && !audienceMatches(claims.getValue("aud"))) {
      throw AuthException.unauthorized("token audience is not " + String.join(" or ", audience));
    }
    Object sub = claims.getValue("sub");
    if (!(sub instanceof String subject) || subject.isBlank() || subject.length() > 256) {
      throw AuthException.unauthorized("token has no subject (sub)");
    }
    Set<String> roles = new LinkedHashSet<>(defaultRoles);
    addRoles(roles, claims.getValue("roles"));
    addRoles(roles, claims.getValue("scope"));
    addRoles(roles, claims.getValue("scp"));
    // The principal expires with the token, leeway included, so sockets close when requests would
    // start failing.
    return new Principal(subject, roles, expiresAt.plus(leeway), Principal.Method.JWT);
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String s) {
      return audience.contains(s);
    }
    if (aud instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s && audience.contains(s)) {
          return true;
        }
      }
    }
    return false;
  }

  private static void addRoles(Set<String> roles, Object value) {
    if (value instanceof JsonArray arr) {
      for (Object o : arr) {
        if (o instanceof String s && !s.isBlank() && roles.size() < 256) {
          roles.add(s.trim());
        }
      }
    } else if (value instanceof String s) {
      for (String r : s.split("[,\\s]+")) {
        if (!r.isBlank() && roles.size() < 256) {
          roles.add(r);
        }
      }
    }
  }

  private static JsonObject json(String part, String what) {
    byte[] bytes = b64(part, what);
    try {
      Object v = io.vertx.core.json.Json.decodeValue(io.vertx.core.buffer.Buffer.buffer(bytes));
      if (v instanceof JsonObject o) {
        return o;
      }
    } catch (RuntimeException e) {
      // fall through
    }
    throw AuthException.unauthorized("malformed token: " + what + " is not a JSON object");
  }

  private static byte[] b64(String part, String what) {
    try {
      return Base64.getUrlDecoder().decode(part);
    } catch (IllegalArgumentException e) {
      throw AuthException.unauthorized("malformed token: " + what + " is not base64url");
    }
  }
}
