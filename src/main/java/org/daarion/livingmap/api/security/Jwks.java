package org.daarion.livingmap.api.security;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys of a JWKS URL, cached. A token naming an unknown {@code kid} triggers a refetch
 * (key rotation), at most once per {@code minRefresh}; the whole set is refetched after {@code
 * maxAge}. Fetches use the Vert.x HTTP client and never block; concurrent lookups share one fetch.
 * A failed fetch keeps the keys already known. Thread-safe.
 */
public final class Jwks {
  private static final Logger log = LoggerFactory.getLogger(Jwks.class);

  /** A verification key: its id, family ({@code RSA} or {@code EC}), curve and the key. */
  record Key(String kid, String kty, String crv, PublicKey key) {}

  private final URI url;
  private final Duration minRefresh;
  private final Duration maxAge;
  private final Clock clock;
  private final HttpClient client;
  private final Object lock = new Object();
  private Map<String, Key> keys = Map.of();
  private Instant fetchedAt;
  private Instant lastAttempt;
  private Future<Map<String, Key>> inflight;

  public Jwks(Vertx vertx, URI url, Duration minRefresh, Duration maxAge, Clock clock) {
    this.url = url;
    this.minRefresh = minRefresh;
    this.maxAge = maxAge;
    this.clock = clock;
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setConnectTimeout(5000)
                .setSsl("https".equals(url.getScheme()))
                .setTrustAll(false));
  }

  /**
   * The key with {@code kid} (or, for a token without {@code kid}, the only key of the family
   * {@code kty}); fails with 401 when no such key exists even after a refetch.
   */
  Future<Key> find(String kid, String kty) {
    Instant now = clock.instant();
    Key hit;
    boolean stale;
    synchronized (lock) {
      hit = lookup(keys, kid, kty);
      stale = fetchedAt == null || !now.isBefore(fetchedAt.plus(maxAge));
    }
    if (hit != null && !stale) {
      return Future.succeededFuture(hit);
    }
    if (hit != null) {
      refresh(now); // stale: refresh in the background, use the key we have
      return Future.succeededFuture(hit);
    }
    Future<Map<String, Key>> fetch = refresh(now);
    if (fetch == null) {
      return Future.failedFuture(
          AuthException.unauthorized("token signed with an unknown key id '" + kid + "'"));
    }
    return fetch.transform(
        ar -> {
          if (ar.failed()) {
            return Future.failedFuture(
                AuthException.unauthorized("signing keys unavailable: " + ar.cause().getMessage()));
          }
          Key k = lookup(ar.result(), kid, kty);
          return k != null
              ? Future.succeededFuture(k)
              : Future.failedFuture(
                  AuthException.unauthorized("token signed with an unknown key id '" + kid + "'"));
        });
  }

  private static Key lookup(Map<String, Key> keys, String kid, String kty) {
    if (kid != null) {
      Key k = keys.get(kid);
      return k != null && k.kty().equals(kty) ? k : null;
    }
    List<Key> family = keys.values().stream().filter(k -> k.kty().equals(kty)).toList();
    return family.size() == 1 ? family.get(0) : null;
  }

  /** Starts a fetch unless one is running or the last began less than minRefresh ago. */
  private Future<Map<String, Key>> refresh(Instant now) {
    Promise<Map<String, Key>> promise;
    synchronized (lock) {
      if (inflight != null) {
        return inflight;
      }
      if (lastAttempt != null && now.isBefore(lastAttempt.plus(minRefresh))) {
        return null;
      }
      lastAttempt = now;
      promise = Promise.promise();
      inflight = promise.future();
    }
    fetch()
        .onComplete(
            ar -> {
              synchronized (lock) {
                inflight = null;
                if (ar.succeeded()) {
                  keys = ar.result();
                  fetchedAt = clock.instant();
                }
              }
              if (ar.succeeded()) {
                log.info("JWKS from {}: {} keys {}", url, ar.result().size(), ar.result().keySet());
                promise.complete(ar.result());
              } else {
                log.warn("JWKS fetch from {} failed: {}", url, ar.cause().toString());
                promise.fail(ar.cause());
              }
            });
    return promise.future();
  }

  private Future<Map<String, Key>> fetch() {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(url.toString())
            .setTimeout(10_000)
            .putHeader("Accept", "application/json");
    return client
        .request(options)
        .compose(req -> req.send())
        .compose(
            resp -> {
              if (resp.statusCode() != 200) {
                return Future.failedFuture("HTTP " + resp.statusCode());
              }
              return resp.body();
            })
        .map(Jwks::parse);
  }

  /** Parses a JWKS document; keys that are not signature keys or cannot be read are skipped. */
  static Map<String, Key> parse(Buffer body) {
    JsonObject doc = new JsonObject(body);
    JsonArray arr = doc.getJsonArray("keys", new JsonArray());
    Map<String, Key> out = new HashMap<>();
    int n = 0;
    for (Object o : arr) {
      n++;
      if (!(o instanceof JsonObject jwk)) {
        continue;
      }
      String use = jwk.getString("use");
      if (use != null && !use.equals("sig")) {
        continue;
      }
      try {
        Key k = key(jwk);
        out.put(k.kid() != null ? k.kid() : "#" + n, k);
      } catch (RuntimeException | java.security.GeneralSecurityException e) {
        log.warn("skipping JWKS key {}: {}", jwk.getString("kid"), e.toString());
      }
    }
    return Map.copyOf(out);
  }

  /**
   * One JWK as a verification key, read by Nimbus JOSE+JWT (key type, curve, point on the curve and
   * parameter encodings are its checks, not ours).
   */
  static Key key(JsonObject jwk) throws java.security.GeneralSecurityException {
    com.nimbusds.jose.jwk.JWK parsed;
    try {
      parsed = com.nimbusds.jose.jwk.JWK.parse(jwk.encode());
    } catch (java.text.ParseException e) {
      throw new IllegalArgumentException("not a JWK: " + e.getMessage(), e);
    }
    String kid = parsed.getKeyID();
    try {
      if (parsed instanceof com.nimbusds.jose.jwk.RSAKey rsa) {
        return new Key(kid, "RSA", null, rsa.toRSAPublicKey());
      }
      if (parsed instanceof com.nimbusds.jose.jwk.ECKey ec) {
        String crv = ec.getCurve().getName();
        if (!crv.equals("P-256") && !crv.equals("P-384") && !crv.equals("P-521")) {
          throw new IllegalArgumentException("unsupported curve " + crv);
        }
        return new Key(kid, "EC", crv, ec.toECPublicKey());
      }
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new java.security.GeneralSecurityException(e.getMessage(), e);
    }
    throw new IllegalArgumentException("unsupported kty " + parsed.getKeyType());
  }

  void close() {
    client.close();
  }
}
