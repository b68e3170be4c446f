package org.daarion.livingmap.source.upstream;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.util.Optional;
import org.daarion.livingmap.config.UpstreamSource;

/**
 * GET requests to one upstream service with its {@link SourcePolicy}: a hard deadline per request,
 * the bearer token when one is configured, and resilience4j retries (exponential backoff with
 * jitter) scheduled on Vert.x timers, so no thread ever waits. Call from the poller's context; the
 * futures complete on it.
 */
final class UpstreamHttp {
  /** A 2xx answer, already decoded from JSON, or a 404/405 (the caller decides about fallbacks). */
  record Reply(String path, int status, Object json, int attempts) {
    boolean notFound() {
      return status == 404 || status == 405;
    }
  }

  private final Vertx vertx;
  private final WebClient client;
  private final UpstreamSource source;
  private final String base;
  private final Optional<String> token;
  private final SourcePolicy policy;
  private final Retry retry;
  private final ParseWorker worker;
  private final int maxReplyBytes;

  /** The last failure a retry absorbed since {@link #takeRetriedError()}; context only. */
  private String retriedError;

  UpstreamHttp(
      Vertx vertx,
      WebClient client,
      UpstreamSource source,
      URI base,
      Optional<String> token,
      SourcePolicy policy,
      ParseWorker worker,
      int maxReplyBytes) {
    this.vertx = vertx;
    this.maxReplyBytes = maxReplyBytes;
    this.worker = worker;
    this.client = client;
    this.source = source;
    String b = base.toString();
    this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    this.token = token.filter(t -> !t.isBlank());
    this.policy = policy;
    this.retry =
        Retry.of(
            source.serviceName(),
            RetryConfig.custom()
                .maxAttempts(policy.maxAttempts())
                .intervalFunction(
                    IntervalFunction.ofExponentialRandomBackoff(
                        policy.backoff().toMillis(),
                        policy.backoffMultiplier(),
                        policy.jitter(),
                        Math.max(policy.backoff().toMillis(), policy.maxBackoff().toMillis())))
                .retryOnException(e -> e instanceof UpstreamException u && u.retryable())
                .failAfterMaxAttempts(false)
                .build());
  }

  UpstreamSource source() {
    return source;
  }

  String baseUrl() {
    return base;
  }

  SourcePolicy policy() {
    return policy;
  }

  /** The pool for the CPU-heavy handling of replies (see {@link ParseWorker}). */
  ParseWorker worker() {
    return worker;
  }

  boolean tokenSet() {
    return token.isPresent();
  }

  /**
   * The message of the last failure that was retried since the previous call, or null, and forgets
   * it: a poll that succeeded only after retries reports what went wrong.
   */
  String takeRetriedError() {
    String e = retriedError;
    retriedError = null;
    return e;
  }

  /**
   * GET with retries. Completes with a {@link Reply} for 2xx (JSON decoded) and for 404/405; fails
   * with {@link UpstreamException} otherwise, after the retries the policy allows.
   */
  Future<Reply> get(String path) {
    return get(path, true);
  }

  /** As {@link #get(String)}; without retries when {@code retries} is false (detail lookups). */
  Future<Reply> get(String path, boolean retries) {
    Promise<Reply> result = Promise.promise();
    Retry.AsyncContext<Reply> ctx = retries ? retry.asyncContext() : null;
    attempt(path, ctx, 1, result);
    return result.future();
  }

  private void attempt(String path, Retry.AsyncContext<Reply> ctx, int n, Promise<Reply> result) {
    once(path)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                if (ctx != null) {
                  ctx.onComplete();
                }
                Reply r = ar.result();
                result.complete(new Reply(r.path(), r.status(), r.json(), n));
                return;
              }
              long delay = ctx == null ? -1 : ctx.onError(ar.cause());
              if (delay < 0) {
                result.fail(ar.cause());
              } else {
                retriedError = String.valueOf(ar.cause().getMessage());
                vertx.setTimer(Math.max(1, delay), t -> attempt(path, ctx, n + 1, result));
              }
            });
  }

  private Future<Reply> once(String path) {
    Promise<Reply> p = Promise.promise();
    long ms = policy.timeout().toMillis();
    long timer = vertx.setTimer(ms, t -> p.tryFail(UpstreamException.timeout(path, ms)));
    HttpRequest<byte[]> req =
        client
            .getAbs(base + path)
            .timeout(ms)
            .connectTimeout(ms)
            .putHeader("Accept", "application/json")
            .as(ReplyBody.codec(maxReplyBytes));
    token.ifPresent(req::bearerTokenAuthentication);
    req.send()
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              if (ar.failed()) {
                p.tryFail(
                    ar.cause() instanceof ReplyBody.TooLarge big
                        ? UpstreamException.badPayload(path, big.getMessage())
                        : UpstreamException.connection(path, ar.cause()));
                return;
              }
              int status = ar.result().statusCode();
              if (status == 404 || status == 405) {
                p.tryComplete(new Reply(path, status, null, 1));
                return;
              }
              if (status < 200 || status >= 300) {
                p.tryFail(UpstreamException.http(path, status, token.isPresent()));
                return;
              }
              byte[] body = ar.result().body();
              // Decoding and checking a reply of many megabytes takes seconds: off the event loop.
              worker
                  .run("decode " + path, () -> decode(path, status, body))
                  .onComplete(
                      d -> {
                        if (d.succeeded()) {
                          p.tryComplete(d.result());
                        } else {
                          p.tryFail(d.cause());
                        }
                      });
            });
    return p.future();
  }

  /**
   * A 2xx body as a {@link Reply}, or {@link UpstreamException} (bad payload) when it is empty, not
   * JSON, or holds what the state cannot keep. On the {@link ParseWorker}.
   */
  private static Reply decode(String path, int status, byte[] body) {
    Object json;
    try {
      json = body == null || body.length == 0 ? null : ReplyJson.decode(body);
    } catch (ReplyJson.Refused e) {
      throw UpstreamException.badPayload(path, e.getMessage());
    }
    if (json == null) {
      throw UpstreamException.badPayload(path, "empty body");
    }
    return new Reply(path, status, json, 1);
  }
}
