package org.memorall.llm.llamacpp;

import io.vertx.serviceproxy.ServiceException;
import org.memorall.llm.api.LlmErrors;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file of a Hub repo to {@code target}, blocking. Bytes go to {@code <target>.part}; a part left by
 * an interrupted download is continued with {@code Range: bytes=N-}. The SHA-256 is computed while writing (and
 * over the part's existing bytes first) and compared with the one the Hub publishes before the part is moved
 * into place atomically, so a file at the final name is always complete and verified.
 */
final class HubDownload {

  static final String PART_SUFFIX = ".part";
  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
  private static final int BUFFER = 256 * 1024;
  /** A connection that sends nothing for this long is given up (resumable); tests lower it. */
  static volatile long stallTimeoutMs = 60_000;

  private final HubClient hub;
  private final HubRef ref;
  private final HubFile file;
  private final Path target;
  private final Path part;

  HubDownload(HubClient hub, HubRef ref, HubFile file, Path target) {
    this.hub = hub;
    this.ref = ref;
    this.file = file;
    this.target = target;
    this.part = target.resolveSibling(target.getFileName() + PART_SUFFIX);
  }

  /** Progress of one file: bytes of it on disk so far. */
  interface Progress {
    /** Bytes that were already on disk when this download started (a resumed part). */
    void resumed(long bytes);

    /** The length of the file when the list did not give it. */
    void size(long bytes);

    void bytes(long done);

    /** All bytes are in; the checksum is being compared. */
    void verifying();
  }

  /**
   * True when the file is already in place: only verified files get the final name, and the SHA-256 noted beside
   * it on that occasion must be the one the Hub publishes now (another revision may have changed the file). A
   * file put there by hand (no note) is trusted when its size matches.
   */
  boolean done() throws IOException {
    if (!Files.isRegularFile(target) || (file.size() >= 0 && Files.size(target) != file.size())) {
      return false;
    }
    Path note = shaNote();
    return file.sha256() == null || !Files.isRegularFile(note)
      || Files.readString(note).trim().equalsIgnoreCase(file.sha256());
  }

  /** Where the SHA-256 of a verified file is noted: a hidden file beside it, which model listings skip. */
  private Path shaNote() {
    return shaNote(target);
  }

  static Path shaNote(Path file) {
    return file.resolveSibling("." + file.getFileName() + ".sha256");
  }

  /** Fetches the file unless it is in place; returns its path. Failures are ServiceExceptions for the caller. */
  Path run(Progress progress) throws InterruptedException {
    try {
      if (done()) {
        progress.resumed(Files.size(target));
        return target;
      }
      Files.createDirectories(target.getParent());
      return fetch(progress, true);
    } catch (ServiceException e) {
      throw e;
    } catch (IOException e) {
      throw failure(e);
    }
  }

  private Path fetch(Progress progress, boolean mayRestart) throws IOException, InterruptedException {
    MessageDigest digest = sha256();
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    if (file.size() >= 0 && have > file.size()) {
      Files.delete(part); // longer than the file: not ours
      have = 0;
    }
    if (have > 0) {
      hashExisting(digest);
      progress.resumed(have);
    }
    progress.bytes(have); // the first "downloading" event starts where the part ends
    String expectedSha = file.sha256();
    if (file.size() < 0 || have < file.size()) {
      HubClient.Fetch fetch = hub.open(ref, file.name(), have);
      HttpResponse<InputStream> response = fetch.response();
      try (InputStream body = response.body()) {
        int status = response.statusCode();
        if (status == 416 && mayRestart) {
          Files.deleteIfExists(part); // the part does not fit the file the Hub has now
          body.close();
          return fetch(progress, false);
        }
        boolean append = status == 206 && have > 0 && rangeStart(response) == have;
        if (status != 200 && !append) {
          throw httpError(status);
        }
        if (!append && have > 0) {
          LOG.info(() -> "The server ignored the Range of " + file.name() + ": downloading it again from the start");
          digest.reset();
          have = 0;
        }
        if (expectedSha == null && fetch.linkedEtag() != null && SHA256.matcher(fetch.linkedEtag()).matches()) {
          expectedSha = fetch.linkedEtag();
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (length >= 0) {
          progress.size(have + length);
        }
        have = copy(body, digest, have, append, progress);
      }
    }
    if (file.size() >= 0 && have < file.size()) {
      throw interrupted("the connection ended early", have);
    }
    progress.verifying();
    String actual = HexFormat.of().formatHex(digest.digest());
    if (expectedSha != null && !expectedSha.equalsIgnoreCase(actual)) {
      Files.deleteIfExists(part); // a corrupt file must never be loaded, nor resumed
      throw LlmErrors.of(502, "server_error", "file", "checksum_mismatch", "Checksum mismatch for " + ref.id() + "/"
        + file.name() + ": the Hub publishes SHA-256 " + expectedSha + ", the download has " + actual
        + ". The partial file was removed; serve again to download it anew");
    }
    if (expectedSha == null) {
      LOG.warning(() -> "No SHA-256 published for " + ref.id() + "/" + file.name() + " (not an LFS file): only its size was checked");
    }
    move();
    if (expectedSha != null) {
      Files.writeString(shaNote(), expectedSha + "\n");
    }
    return target;
  }

  /** Appends the body to the part, feeding the digest; returns the part's length. */
  private long copy(InputStream body, MessageDigest digest, long have, boolean append, Progress progress) throws IOException {
    long done = have;
    StallWatch watch = StallWatch.watch(body, stallTimeoutMs);
    try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      // Downloads in this JVM are shared (DownloadRegistry); the lock keeps another process (a pull while a node
      // serves) from writing the same part. Taken before truncating, so the other one's bytes stay intact.
      if (!locked(out)) {
        throw LlmErrors.of(409, "invalid_request_error", "file", "download_in_progress", ref.id() + "/" + file.name()
          + " is being downloaded by another process into " + part.getParent() + "; try again when it is done");
      }
      if (append) {
        out.position(out.size());
      } else {
        out.truncate(0);
      }
      byte[] buffer = new byte[BUFFER];
      while (true) {
        int n;
        try {
          n = body.read(buffer);
          watch.progressed();
        } catch (IOException e) {
          out.force(false); // what was written stays valid for the next resume
          throw interrupted(watch.stalled() ? "no data for " + stallTimeoutMs / 1000 + " s"
            : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), done);
        }
        if (n < 0) {
          if (watch.stalled()) { // closing the body may look like the end of it
            out.force(false);
            throw interrupted("no data for " + stallTimeoutMs / 1000 + " s", done);
          }
          break;
        }
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
        while (bb.hasRemaining()) {
          out.write(bb);
        }
        digest.update(buffer, 0, n);
        done += n;
        progress.bytes(done);
      }
      out.force(true); // on disk before the rename makes it the model
    } finally {
      watch.cancel();
    }
    return done;
  }

  /** True when this process now holds the part's lock; another holder (process, or channel of this JVM) means no. */
  private static boolean locked(FileChannel out) throws IOException {
    try {
      return out.tryLock() != null;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return false;
    }
  }

  private void hashExisting(MessageDigest digest) throws IOException {
    try (InputStream in = Files.newInputStream(part)) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, n);
      }
    }
  }

  private void move() throws IOException {
    try {
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static long rangeStart(HttpResponse<?> response) {
    Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse(""));
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  private ServiceException httpError(int status) {
    if (status == 401 || status == 403) {
      return LlmErrors.of(403, "invalid_request_error", "repo", "access_denied", "The Hub refused " + ref.id() + "/"
        + file.name() + " (" + status + "): the repo may be gated or private; set HF_TOKEN");
    }
    if (status == 404) {
      return LlmErrors.of(404, "invalid_request_error", "file", "model_not_found",
        "File '" + file.name() + "' not found in " + ref.id() + " at revision '" + ref.revision() + "'");
    }
    return LlmErrors.of(502, "server_error", null, "hub_error", "The Hub answered " + status + " for " + ref.id()
      + "/" + file.name() + "; serve again to retry");
  }

  /** The network failed: the part stays for the next serve, which resumes it. */
  private ServiceException interrupted(String why, long have) {
    return LlmErrors.of(503, "server_error", null, "download_interrupted", "Download of " + ref.id() + "/" + file.name()
      + " interrupted after " + have + (file.size() >= 0 ? " of " + file.size() : "") + " bytes (" + why
      + "); serve again to resume it");
  }

  /** Disk full: the part is removed (it cannot be finished, and it holds space); other I/O errors as they are. */
  private ServiceException failure(IOException e) {
    String message = String.valueOf(e.getMessage());
    if (message.toLowerCase(Locale.ROOT).contains("no space left")) {
      try {
        Files.deleteIfExists(part);
      } catch (IOException ignored) {
        // Nothing more can be done about a full disk here.
      }
      return LlmErrors.of(507, "server_error", null, "disk_full", "No space left on the device of " + target.getParent()
        + " for " + ref.id() + "/" + file.name() + (file.size() >= 0 ? " (" + file.size() + " bytes)" : "")
        + "; the partial file was removed");
    }
    return LlmErrors.of(503, "server_error", null, "download_failed", "Download of " + ref.id() + "/" + file.name()
      + " failed: " + message + "; serve again to retry");
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
