package org.daarion.livingmap.source.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.daarion.livingmap.testing.NatsServerProcess;
import org.junit.jupiter.api.Test;

/** The test helper itself: JetStream, WebSocket, restart keeping data. */
class NatsServerProcessTest {
  @Test
  void restartKeepsPortAndJetStreamData() throws Exception {
    try (NatsServerProcess server = NatsServerProcess.start()) {
      int port = server.port();
      try (Connection c = Nats.connect(server.url())) {
        JetStreamManagement jsm = c.jetStreamManagement();
        jsm.addStream(StreamConfiguration.builder().name("KEEP").subjects("keep.>").build());
        c.jetStream().publish("keep.x", "1".getBytes(StandardCharsets.UTF_8));
      }
      server.restart();
      assertThat(server.port()).isEqualTo(port);
      try (Connection c = Nats.connect(server.url())) {
        assertThat(c.jetStreamManagement().getStreamInfo("KEEP").getStreamState().getMsgCount())
            .isEqualTo(1);
      }
    }
  }

  @Test
  void webSocketListenerCarriesMessages() throws Exception {
    try (NatsServerProcess server = NatsServerProcess.start(true);
        Connection ws = Nats.connect(server.wsUrl());
        Connection tcp = Nats.connect(server.url())) {
      assertThat(server.wsPort()).isPositive().isNotEqualTo(server.port());
      Subscription sub = ws.subscribe("ws.test");
      ws.flush(Duration.ofSeconds(5));
      tcp.publish("ws.test", "hello".getBytes(StandardCharsets.UTF_8));
      Message m = sub.nextMessage(Duration.ofSeconds(5));
      assertThat(new String(m.getData(), StandardCharsets.UTF_8)).isEqualTo("hello");
    }
  }

  @Test
  void withoutWebSocketTheWsUrlIsAnError() throws Exception {
    try (NatsServerProcess server = NatsServerProcess.start()) {
      assertThat(server.wsPort()).isEqualTo(-1);
      assertThatThrownBy(server::wsUrl).hasMessageContaining("without WebSocket");
    }
  }
}
