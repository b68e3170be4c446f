package org.daarion.livingmap.alert;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers alert notifications to webhooks (a JSON body per change, with an {@code Idempotency-Key}
 * header and the same key in the body), to Prometheus Alertmanager ({@code POST
 * <url>/api/v2/alerts}, the v2 API's {@code [{labels, annotations, startsAt, endsAt,
 * generatorURL}]}) and to a NATS subject (the webhook body). Each delivery is retried by the {@link
 * RetryPolicy}; one that fails every attempt is logged and kept in a bounded dead-letter list.
 *
 * <p>Threads: callers hand over and return; all delivery work runs on one Vert.x event-loop
 * context, never blocking it. Once per receiver: a firing (and a resolution) with an idempotency
 * key already delivered or in flight for that receiver is not sent again.
 */
public final class HttpAlertNotifier implements AlertNotifier {
  private static final Logger log = LoggerFactory.getLogger(HttpAlertNotifier.class);

  /** Dead letters kept; the oldest go first. */
  static final int DEAD_LETTERS = 1000;

  /** Idempotency keys remembered per receiver. */
  static final int REMEMBERED_KEYS = 10_000;

  /**
   * Where notifications go.
   *
   * @param webhooks URLs that get a JSON POST per firing and resolution
   * @param alertmanager Alertmanager base URL ({@code http://am:9093}), or null
   * @param natsSubject subject the webhook body is published to, or null
   * @param natsPublisher publishes bytes to a subject (the NATS connection), or null
   * @param generatorUrl base URL of this service for Alertmanager's {@code generatorURL}
   * @param resendInterval how often firing alerts are re-sent to Alertmanager (it resolves alerts
   *     it stops hearing about after their {@code endsAt}, set to four intervals ahead)
   */
  public record Targets(
      List<URI> webhooks,
      URI alertmanager,
      String natsSubject,
      BiConsumer<String, byte[]> natsPublisher,
      String generatorUrl,
      Duration resendInterval) {
    public Targets {
      webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
      generatorUrl = generatorUrl == null ? "http://localhost:7017" : generatorUrl;
      resendInterval = resendInterval == null ? Duration.ofMinutes(1) : resendInterval;
    }

    public boolean any() {
      return !webhooks.isEmpty()
          || alertmanager != null
          || (natsSubject != null && natsPublisher != null);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final WebClient client;
  private final Targets targets;
  private final RetryPolicy retry;
  private final Clock clock;
  private final Map<String, Boolean> sent =
      new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_KEYS;
        }
      };
  private final ArrayDeque<JsonObject> deadLetters = new ArrayDeque<>();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong retried = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  public HttpAlertNotifier(Vertx vertx, Targets targets, RetryPolicy retry, Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client =
        WebClient.create(
            vertx,
            new WebClientOptions()
                .setUserAgent("living-map-alerts")
                .setConnectTimeout((int) retry.timeout().toMillis()));
    this.targets = targets;
    this.retry = retry;
    this.clock = clock;
  }

  public Targets targets() {
    return targets;
  }

  @Override
  public void firing(Alert alert) {
    context.runOnContext(v -> send(alert, Alert.FIRING));
  }

  @Override
  public void resolved(Alert alert) {
    context.runOnContext(v -> send(alert, Alert.RESOLVED));
  }

  @Override
  public void stillFiring(List<Alert> firing) {
    if (targets.alertmanager() == null || firing.isEmpty()) {
      return;
    }
    List<Alert> copy = List.copyOf(firing);
    context.runOnContext(
        v -> {
          JsonArray body = new JsonArray();
          for (Alert a : copy) {
            body.add(alertmanagerAlert(a));
          }
          post("alertmanager", alertmanagerUrl(), body.toBuffer(), "refresh-" + clock.millis(), 1);
        });
  }

  @Override
  public List<JsonObject> deadLetters() {
    synchronized (deadLetters) {
      return new ArrayList<>(deadLetters);
    }
  }

  public long deliveredCount() {
    return delivered.get();
  }

  public long retriedCount() {
    return retried.get();
  }

  public long failedCount() {
    return failed.get();
  }

  /** The webhook and NATS body for one change of an alert. */
  JsonObject webhookBody(Alert a, String status) {
    return new JsonObject()
        .put("version", "1")
        .put("idempotency_key", idempotencyKey(a, status))
        .put("status", status)
        .put("alert", a.toJson())
        .put("service", "living-map-service")
        .put("sent_at", clock.instant().toString());
  }

  static String idempotencyKey(Alert a, String status) {
    return a.id() + ":" + status;
  }

  /** One alert in Alertmanager's v2 {@code postableAlert} shape. */
  JsonObject alertmanagerAlert(Alert a) {
    JsonObject labels =
        new JsonObject().put("alertname", a.rule()).put("severity", a.severity().label());
    labels.put("service", "living-map");
    if (a.entityId() != null) {
      labels.put("entity_id", a.entityId());
    }
    if (a.entityType() != null) {
      labels.put("entity_type", a.entityType());
    }
    if (a.source() != null) {
      labels.put("source", a.source());
    }
    if (a.entityId() == null && a.source() == null && a.key() != null) {
      labels.put("key", a.key());
    }
    a.labels().forEach(labels::put);
    JsonObject annotations =
        new JsonObject()
            .put("summary", a.message() == null ? a.rule() : a.message())
            .put("alert_id", a.id());
    if (a.value() != null) {
      annotations.put("value", String.valueOf(a.value()));
    }
    String endsAt =
        a.endsAt() != null
            ? a.endsAt().toString()
            : clock.instant().plus(targets.resendInterval().multipliedBy(4)).toString();
    return new JsonObject()
        .put("labels", labels)
        .put("annotations", annotations)
        .put("startsAt", (a.startsAt() != null ? a.startsAt() : a.activeAt()).toString())
        .put("endsAt", endsAt)
        .put(
            "generatorURL",
            targets.generatorUrl()
                + "/living-map/alerts?entity_id="
                + urlPart(a.entityId() != null ? a.entityId() : a.key()));
  }

  private static String urlPart(String s) {
    return s == null ? "" : java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private String alertmanagerUrl() {
    String base = targets.alertmanager().toString();
    return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/api/v2/alerts";
  }

  /** On the context. */
  private void send(Alert a, String status) {
    String key = idempotencyKey(a, status);
    JsonObject body = webhookBody(a, status);
    Buffer bytes = body.toBuffer();
    for (URI url : targets.webhooks()) {
      String receiver = "webhook " + url;
      if (sent.putIfAbsent(receiver + "|" + key, Boolean.TRUE) == null) {
        post(receiver, url.toString(), bytes, key, 1);
      }
    }
    if (targets.alertmanager() != null
        && sent.putIfAbsent("alertmanager|" + key, Boolean.TRUE) == null) {
      post(
          "alertmanager",
          alertmanagerUrl(),
          new JsonArray().add(alertmanagerAlert(a)).toBuffer(),
          key,
          1);
    }
    if (targets.natsSubject() != null
        && targets.natsPublisher() != null
        && sent.putIfAbsent("nats|" + key, Boolean.TRUE) == null) {
      try {
        targets.natsPublisher().accept(targets.natsSubject(), bytes.getBytes());
        delivered.incrementAndGet();
      } catch (RuntimeException e) {
        deadLetter(
            "nats " + targets.natsSubject(), targets.natsSubject(), key, bytes, 1, e.toString());
      }
    }
  }

  private void post(String receiver, String url, Buffer body, String key, int attempt) {
    client
        .postAbs(url)
        .putHeader("Content-Type", "application/json")
        .putHeader("Idempotency-Key", key)
        .timeout(retry.timeout().toMillis())
        .sendBuffer(body)
        .onComplete(
            ar -> {
              String error;
              if (ar.succeeded() && ar.result().statusCode() / 100 == 2) {
                delivered.incrementAndGet();
                return;
              }
              error =
                  ar.succeeded()
                      ? "HTTP " + ar.result().statusCode()
                      : String.valueOf(ar.cause().getMessage());
              if (attempt >= retry.maxAttempts()) {
                deadLetter(receiver, url, key, body, attempt, error);
                return;
              }
              retried.incrementAndGet();
              long delay = retry.delayMillis(attempt);
              log.debug(
                  "alert delivery to {} failed ({}), attempt {} of {}, retrying in {} ms",
                  receiver,
                  error,
                  attempt,
                  retry.maxAttempts(),
                  delay);
              vertx.setTimer(delay, t -> post(receiver, url, body, key, attempt + 1));
            });
  }

  private void deadLetter(
      String receiver, String url, String key, Buffer body, int attempts, String error) {
    failed.incrementAndGet();
    log.warn(
        "alert notification {} to {} given up after {} attempts: {}",
        key,
        receiver,
        attempts,
        error);
    JsonObject entry =
        new JsonObject()
            .put("receiver", receiver)
            .put("url", url)
            .put("idempotency_key", key)
            .put("attempts", attempts)
            .put("last_error", error)
            .put("failed_at", clock.instant().toString())
            .put("body", body.toString());
    synchronized (deadLetters) {
      deadLetters.addFirst(entry);
      while (deadLetters.size() > DEAD_LETTERS) {
        deadLetters.removeLast();
      }
    }
  }
}
