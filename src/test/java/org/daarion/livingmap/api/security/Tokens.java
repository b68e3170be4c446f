package org.daarion.livingmap.api.security;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signs test tokens the way DAARION's auth-service does, and makes JWKS keys. */
final class Tokens {
  static final String SECRET = "test-secret-of-at-least-32-bytes-long!!";

  private Tokens() {}

  static JsonObject claims(String sub, Instant exp, String... roles) {
    return new JsonObject()
        .put("sub", sub)
        .put("iss", "daarion-auth")
        .put("iat", Instant.now().getEpochSecond())
        .put("exp", exp.getEpochSecond())
        .put("roles", new JsonArray(java.util.List.of(roles)));
  }

  static JsonObject reader() {
    return claims("user-1", Instant.now().plusSeconds(3600), Principal.READ);
  }

  static String hs256(JsonObject claims) {
    return hs256(claims, SECRET);
  }

  static String hs256(JsonObject claims, String secret) {
    String signingInput =
        part(new JsonObject().put("alg", "HS256").put("typ", "JWT")) + "." + part(claims);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return signingInput
          + "."
          + b64(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String signed(String alg, String kid, PrivateKey key, JsonObject claims) {
    JsonObject header = new JsonObject().put("alg", alg).put("typ", "JWT");
    if (kid != null) {
      header.put("kid", kid);
    }
    String signingInput = part(header) + "." + part(claims);
    try {
      Signature s =
          Signature.getInstance(
              alg.equals("RS256") ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + b64(s.sign());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String unsigned(JsonObject claims) {
    return part(new JsonObject().put("alg", "none")) + "." + part(claims) + ".";
  }

  static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonObject jwk(String kid, KeyPair pair) {
    if (pair.getPublic() instanceof RSAPublicKey rsa) {
      return new JsonObject()
          .put("kty", "RSA")
          .put("kid", kid)
          .put("use", "sig")
          .put("alg", "RS256")
          .put("n", unsigned(rsa.getModulus()))
          .put("e", unsigned(rsa.getPublicExponent()));
    }
    ECPublicKey ec = (ECPublicKey) pair.getPublic();
    return new JsonObject()
        .put("kty", "EC")
        .put("kid", kid)
        .put("use", "sig")
        .put("crv", "P-256")
        .put("x", fixed(ec.getW().getAffineX(), 32))
        .put("y", fixed(ec.getW().getAffineY(), 32));
  }

  private static String unsigned(BigInteger v) {
    byte[] b = v.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = java.util.Arrays.copyOfRange(b, 1, b.length);
    }
    return b64(b);
  }

  private static String fixed(BigInteger v, int len) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[len];
    int copy = Math.min(len, b.length);
    System.arraycopy(b, b.length - copy, out, len - copy, copy);
    return b64(out);
  }

  private static String part(JsonObject o) {
    return b64(o.encode().getBytes(StandardCharsets.UTF_8));
  }

  static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
