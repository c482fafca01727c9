package io.aido.backup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.HttpURLConnection;
import java.net.URI;
import org.junit.jupiter.api.Test;

class EtcdServerIT {

  @Test
  void start_healthyOnItsPort_closeStopsIt() throws Exception {
    EtcdServer etcd = EtcdServer.start();
    try {
      assertThat(status(etcd)).isEqualTo(200);
    } finally {
      etcd.close();
    }
    assertThat(status(etcd)).isEqualTo(-1);
  }

  private static int status(EtcdServer etcd) {
    try {
      HttpURLConnection c =
          (HttpURLConnection) URI.create(etcd.endpoint() + "/health").toURL().openConnection();
      c.setConnectTimeout(500);
      return c.getResponseCode();
    } catch (java.io.IOException e) {
      return -1;
    }
  }
}
