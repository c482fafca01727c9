package io.aido.backup.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RedisServerIT {

  @Test
  void start_answersSetAndGet_closeFreesThePort() throws IOException {
    RedisServer redis = RedisServer.start();
    int port = redis.port();
    try {
      assertThat(command(port, "SET k v\r\nGET k\r\n", 12)).isEqualTo("+OK\r\n$1\r\nv\r\n");
    } finally {
      redis.close();
    }
    assertThatThrownBy(() -> command(port, "PING\r\n", 7)).isInstanceOf(IOException.class);
  }

  private static String command(int port, String command, int replyBytes) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(2000);
      s.getOutputStream().write(command.getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readNBytes(replyBytes), StandardCharsets.US_ASCII);
    }
  }
}
