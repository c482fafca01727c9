package io.aido.backup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago.
 *
 * <p>Restriction: another process can take the port between this call and the server's bind; the
 * servers in this package retry with a new port when their bind fails.
 */
public final class FreePort {
  private FreePort() {}

  /** A port the operating system just reported free on the loopback interface. */
  public static int find() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("unable to find a free port on 127.0.0.1: " + e, e);
    }
  }
}
