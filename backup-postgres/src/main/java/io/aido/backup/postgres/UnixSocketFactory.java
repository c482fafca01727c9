package io.aido.backup.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Lets pgjdbc connect through PostgreSQL's unix socket, as libpq does when {@code PGHOST} is a
 * directory, with the JDK's own unix-domain channels (Java 16+) and no native library.
 *
 * <p>pgjdbc instantiates it from the connection properties {@code socketFactory} (this class) and
 * {@code socketFactoryArg} (the socket file, {@code <dir>/.s.PGSQL.<port>}); the URL's host and
 * port are then ignored. Restriction: read timeouts are not supported on the socket (pgjdbc's
 * default, no timeout, is what this job uses).
 */
public final class UnixSocketFactory extends SocketFactory {
  private final Path socketFile;

  /** Called by pgjdbc with {@code socketFactoryArg}. */
  public UnixSocketFactory(String socketFile) {
    this.socketFile = Path.of(socketFile);
  }

  /** The socket file libpq would use for {@code dir} and {@code port}. */
  static String socketFile(String dir, int port) {
    return Path.of(dir, ".s.PGSQL." + port).toString();
  }

  @Override
  public Socket createSocket() {
    return new UnixDomainSocket(socketFile);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return connected();
  }

  private Socket connected() throws IOException {
    Socket s = createSocket();
    s.connect(InetSocketAddress.createUnresolved("localhost", 0));
    return s;
  }

  /** A {@link Socket} face on a unix-domain {@link SocketChannel}, for what pgjdbc calls. */
  private static final class UnixDomainSocket extends Socket {
    private final Path file;
    private SocketChannel channel;
    private InputStream in;
    private OutputStream out;
    private boolean closed;

    UnixDomainSocket(Path file) {
      this.file = file;
    }

    @Override
    public void connect(SocketAddress ignored) throws IOException {
      connect(ignored, 0);
    }

    @Override
    public void connect(SocketAddress ignored, int timeout) throws IOException {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        ch.connect(UnixDomainSocketAddress.of(file));
      } catch (IOException e) {
        ch.close();
        throw new IOException(
            "unable to connect to unix socket '" + file + "': " + e.getMessage(), e);
      }
      channel = ch;
      in = Channels.newInputStream(ch);
      out = Channels.newOutputStream(ch);
    }

    @Override
    public InputStream getInputStream() throws IOException {
      checkConnected();
      return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      checkConnected();
      return out;
    }

    private void checkConnected() throws IOException {
      if (channel == null) {
        throw new IOException("unix socket '" + file + "' is not connected");
      }
    }

    @Override
    public boolean isConnected() {
      return channel != null;
    }

    @Override
    public synchronized boolean isClosed() {
      return closed;
    }

    @Override
    public synchronized void close() throws IOException {
      closed = true;
      if (channel != null) {
        channel.close();
      }
    }

    @Override
    public void shutdownInput() throws IOException {
      checkConnected();
      channel.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
      checkConnected();
      channel.shutdownOutput();
    }

    // TCP options mean nothing on a unix socket; pgjdbc sets them unconditionally.
    @Override
    public void setTcpNoDelay(boolean on) {}

    @Override
    public void setKeepAlive(boolean on) {}

    @Override
    public void setSoTimeout(int timeout) {}

    @Override
    public int getSoTimeout() {
      return 0;
    }

    @Override
    public void setReceiveBufferSize(int size) {}

    @Override
    public void setSendBufferSize(int size) {}

    @Override
    public String toString() {
      return "UnixDomainSocket[" + file + "]";
    }
  }
}
