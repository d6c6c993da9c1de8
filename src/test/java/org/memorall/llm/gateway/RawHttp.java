package org.memorall.llm.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A bare HTTP/1.1 exchange over a socket, for a client that goes away in the middle of a response. */
final class RawHttp implements AutoCloseable {

  private final Socket socket;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();

  private RawHttp(Socket socket) {
    this.socket = socket;
  }

  static RawHttp post(int port, String path, String json) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
      + "Content-Length: " + body.length + "\r\n\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().write(body);
    socket.getOutputStream().flush();
    return new RawHttp(socket);
  }

  /** Reads until {@code marker} was received {@code count} times; returns what was received so far. */
  String readUntil(String marker, int count) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[512];
    while (occurrences(received.toString(StandardCharsets.UTF_8), marker) < count) {
      int n = in.read(buffer);
      if (n < 0) {
        throw new IOException("Connection closed after: " + received.toString(StandardCharsets.UTF_8));
      }
      received.write(buffer, 0, n);
    }
    return received.toString(StandardCharsets.UTF_8);
  }

  private static int occurrences(String text, String marker) {
    int count = 0;
    for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
      count++;
    }
    return count;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
