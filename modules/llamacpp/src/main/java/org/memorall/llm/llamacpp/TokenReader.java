package org.memorall.llm.llamacpp;

import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaOutput;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One thread that receives, for every generation of one model, the outputs after its first.
 *
 * <p>Why: java-llama.cpp 4.2.0's {@code receiveCompletion} waits on one condition shared by every task of the
 * model, "the result queue is not empty". A thread waiting for its task's output while another task's output sits
 * in the queue finds the condition true, finds nothing of its own, and loops without sleeping until that output's
 * owner takes it. With a thread per stream, 8 streams on 2 cores: the owners were often not running, the waiting
 * threads spun for 4.4-4.8 s of CPU per 2,048 tokens, and the bundled model decoded 690-760 tokens/s instead of
 * about 3,000 (README "The engine's limit"). Queueing those threads (one waiting at a time) still left one spinning
 * much of the time: a thread woken to take its output is often not running soon on 2 busy cores.
 *
 * <p>How: in each decode step llama.cpp sends one output to every generating slot, in slot order, in one burst. The
 * reader counts, per generation, the outputs queued for it: a wait that ends (or a read that finds an output no count
 * expected) means a burst came, one more for every other generation. It takes the counted outputs in slot order (no
 * wait), and when none is left it waits on the lowest slot, whose output comes first in the next burst: nothing else is
 * queued then, so it sleeps. A generation's first output comes only when its prompt is processed, possibly many steps
 * later: its own thread waits for that one ({@link #first}), then hands it over here. Where the count can be short, the
 * reader looks once more before it waits (a generation just handed over; after an empty output, since the end may
 * follow in the same burst; after a wait that spun anyway, at every generation), rather than leave an output queued,
 * which would make the wait spin. A generation whose reads spin (it waited while the others' outputs were queued:
 * llama.cpp sends nothing in a step whose token ends in an incomplete UTF-8 character, as emoji and most non-Latin text
 * do), in half of its reads (not counting spins while another generation's first output was awaited), goes back to its
 * own thread for the rest of its outputs, so it no longer makes the reader spin: its own waits spin only until the
 * reader has taken the others' outputs of a burst. If the reader's thread ends (closed, or broken), every generation
 * reads its own outputs.
 */
public final class TokenReader {

  private static final Logger LOG = Logger.getLogger("org.memorall.llm.llamacpp");
  /** A read longer than this waited for a burst (a queued output is taken in ~5-20 µs). */
  private static final long WAITED_NANOS = 60_000;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  /** A generation with at least this many reads that spun, half of its reads or more, goes back to its own thread. */
  private static final int SILENT_SPINS = 16;

  /** What a generation does with its outputs; called on the reader's thread, so it must not block. */
  public interface Follower {
    /** Checked before each output: true stops the generation (its llama.cpp task is cancelled). */
    boolean stopping();

    /**
     * Each output after the first, in order; {@code last}: the end (llama.cpp's last output only marks it). Returns
     * whether the end may come at once (the token limit is reached): llama.cpp sends it in the same burst.
     */
    boolean output(LlamaOutput out, boolean last);

    /**
     * Passes on what {@link #output} gathered. The reader calls it for every generation that had outputs before it
     * may wait for the next burst, so the outputs of one burst leave together (one wake-up of whoever takes them, not
     * one per generation), and before the generation ends.
     */
    void flush();
  }

  /** How a followed generation ended. */
  public enum End { DONE, STOPPED }

  /** Completes a member handed back to its own thread (it went silent, or the reader is gone). */
  private static final End OWN = null;

  private static final class Member {
    final LlamaIterator tokens;
    final int slot;
    final Follower follower;
    final CompletableFuture<End> end = new CompletableFuture<>();
    /** Outputs counted as queued for it. */
    int queued;
    /** One more may be queued: look before waiting for the next burst. */
    boolean maybe = true;
    /** Had outputs since its last flush. */
    boolean unflushed;
    /** Its reads, and those that spun. */
    int reads;
    int spins;

    Member(LlamaIterator tokens, int slot, Follower follower) {
      this.tokens = tokens;
      this.slot = slot;
      this.follower = follower;
    }
  }

  private final String name;
  /** First outputs being waited for on their generations' own threads ({@link #first}), and those taken so far. */
  private final AtomicInteger firstsWaiting = new AtomicInteger();
  private final AtomicLong firstsTaken = new AtomicLong();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition joined = lock.newCondition();
  private final List<Member> joining = new ArrayList<>();
  private boolean closed;
  /** The reader's thread ended (closed, or broken): generations read their own outputs. */
  private boolean dead;
  private Thread thread;

  // Only touched by the reader's thread.
  /** By slot. */
  private final List<Member> members = new ArrayList<>();

  /** For the model of LLM {@code name} (names the thread). */
  public TokenReader(String name) {
    this.name = name;
  }

  /**
   * Reads a generation's first output on the caller's thread (it comes when the prompt is processed, possibly many
   * decode steps later). Meanwhile it can sit queued until that thread runs, and the reader's own waits spin: the
   * reader then does not count those spins against the generation it was waiting for.
   */
  public LlamaOutput first(LlamaIterator tokens) {
    firstsWaiting.incrementAndGet();
    try {
      return tokens.next();
    } finally {
      firstsTaken.incrementAndGet();
      firstsWaiting.decrementAndGet();
    }
  }

  /**
   * Hands over a generation whose first output the caller has received ({@link #first}); blocks until its last
   * output went to {@code follower} ({@link End#DONE}) or it stopped ({@link End#STOPPED}); rethrows what llama.cpp
   * threw.
   * {@code slot} is the llama.cpp slot it runs in; -1 (llama.cpp chose it) has no place in the reader's order, so
   * such a generation is read on the caller's thread.
   */
  public End follow(LlamaIterator tokens, int slot, Follower follower) {
    Member m = new Member(tokens, slot, follower);
    if (slot < 0) {
      return readOwn(m);
    }
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the model is closed");
      }
      if (dead) {
        m.end.complete(OWN); // read below, without the lock
      } else {
        joining.add(m);
        if (thread == null) {
          thread = new Thread(this::run, "llm-tokens-" + name);
          thread.setDaemon(true);
          thread.start();
        }
        joined.signal();
      }
    } finally {
      lock.unlock();
    }
    End end;
    try {
      end = m.end.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw e;
    }
    return end != OWN ? end : readOwn(m);
  }

  /**
   * The rest of {@code m} read on the caller's thread: for a generation whose reads spun (llama.cpp held its outputs
   * back, an incomplete UTF-8 character, while the others' were queued), so it no longer holds up the reader, or
   * when the reader is gone. Its own waits spin only while the reader has not yet
   * taken the others' outputs of a burst.
   */
  private static End readOwn(Member m) {
    try {
      m.follower.flush(); // (what the reader gathered, if it ended before passing it on)
      while (m.tokens.hasNext()) {
        if (m.follower.stopping()) {
          m.tokens.cancel();
          return End.STOPPED;
        }
        LlamaOutput out = m.tokens.next();
        m.follower.output(out, !m.tokens.hasNext());
        m.follower.flush();
      }
      return End.DONE;
    } catch (RuntimeException | Error e) {
      cancel(m);
      throw e;
    }
  }

  /** Ends the thread; call once no generation runs (the model is about to be freed). */
  public void close() {
    lock.lock();
    try {
      closed = true;
      joined.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    try {
      while (takeJoining()) {
        Member counted = null;
        Member maybe = null;
        for (Member m : members) {
          if (m.queued > 0) {
            counted = m;
            break;
          }
          if (maybe == null && m.maybe) {
            maybe = m;
          }
        }
        if (counted == null) {
          flush(); // the next read may wait
        }
        read(counted != null ? counted : maybe != null ? maybe : members.get(0));
      }
    } catch (Throwable t) { // read catches what llama.cpp and the followers throw; this is for the rest
      LOG.log(Level.SEVERE, "The token reader of LLM '" + name + "' failed; its generations read on", t);
    } finally {
      List<Member> left;
      lock.lock();
      try {
        dead = true; // from now on every generation reads its own outputs
        left = new ArrayList<>(members);
        left.addAll(joining);
        members.clear();
        joining.clear();
      } finally {
        lock.unlock();
      }
      left.forEach(m -> m.end.complete(OWN));
    }
  }

  /** Moves the generations handed over into {@link #members}; waits while there are none. False once closed. */
  private boolean takeJoining() {
    lock.lock();
    try {
      while (joining.isEmpty() && members.isEmpty() && !closed) {
        joined.awaitUninterruptibly();
      }
      if (closed && members.isEmpty()) {
        return false;
      }
      for (Member m : joining) {
        int at = 0;
        while (at < members.size() && members.get(at).slot < m.slot) {
          at++;
        }
        members.add(at, m);
      }
      joining.clear();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Reads the next output of {@code m} and counts what it shows. */
  private void read(Member m) {
    boolean stopping;
    try {
      stopping = m.follower.stopping();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "A generation's stop check failed", e);
      cancel(m);
      finish(m, null, e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e));
      return;
    }
    if (stopping) {
      cancel(m); // on this thread: the one that would otherwise wait for its next output
      finish(m, End.STOPPED, null);
      return;
    }
    boolean forBurst = m.queued == 0 && !m.maybe; // nothing counted anywhere: waits for the next burst
    long firsts0 = firstsTaken.get();
    boolean firstWaiting = firstsWaiting.get() > 0;
    long t0 = System.nanoTime();
    long cpu0 = THREADS.getCurrentThreadCpuTime();
    LlamaOutput out;
    try {
      out = m.tokens.next();
    } catch (RuntimeException e) {
      cancel(m); // (llama.cpp's own errors have already removed the task; anything else must not leave it running)
      finish(m, null, e);
      return;
    }
    long wall = System.nanoTime() - t0;
    long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
    // A read that took long either waited for a burst or was not running (2 busy cores): only the CPU tells them
    // apart, and only when it spun, i.e. waited while another output was queued.
    boolean spun = wall > WAITED_NANOS && 2 * cpu > wall;
    boolean waited = wall > WAITED_NANOS;
    // A read that spun waited for an output of its own that llama.cpp had not sent while others' were queued. Now
    // and then that is a count gone wrong elsewhere, or another generation's first output waiting for its thread
    // (not counted: on 2 busy cores that thread can wait several steps for a CPU); when most of a generation's reads
    // spin, it holds its outputs back.
    m.reads++;
    boolean firstInTheWay = firstWaiting || firstsWaiting.get() > 0 || firstsTaken.get() != firsts0;
    m.spins += spun && !firstInTheWay ? 1 : 0;
    boolean silent = m.spins >= SILENT_SPINS && 2 * m.spins >= m.reads;
    if (forBurst || spun || m.queued == 0 && waited) {
      // A burst came: one more for every other generation.
      members.forEach(o -> o.queued++);
      m.queued = 0; // (a wait shows nothing was queued for it)
      m.maybe = false;
      if (forBurst && spun) {
        // An output no count expected may be queued. Look at every generation once more.
        members.forEach(o -> o.maybe = true);
      }
    } else if (m.queued > 0) {
      m.queued--;
    } else {
      m.maybe = true; // a second look found one: there may be more
    }
    boolean endMayFollow;
    try {
      endMayFollow = m.follower.output(out, !m.tokens.hasNext());
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "A generation's output handler failed", e);
      cancel(m);
      finish(m, null, e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e));
      return;
    }
    m.unflushed = true;
    if (!m.tokens.hasNext()) {
      finish(m, End.DONE, null);
    } else if (silent) {
      finish(m, OWN, null); // it holds its outputs back at times: its own thread waits for them from now on
    } else if (endMayFollow || out.text.isEmpty()) {
      m.maybe = true; // the end may follow in the same burst (an empty output: maybe the end-of-text token)
    }
  }

  private void flush() {
    for (Member m : members) {
      if (m.unflushed) {
        m.unflushed = false;
        flush(m);
      }
    }
  }

  private void flush(Member m) {
    try {
      m.follower.flush();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "A generation's output handler failed", e);
    }
  }

  private static void cancel(Member m) {
    try {
      m.tokens.cancel();
    } catch (RuntimeException | Error e) {
      LOG.log(Level.WARNING, "Cancelling a llama.cpp task failed", e);
    }
  }

  private void finish(Member m, End end, RuntimeException error) {
    if (m.unflushed) {
      flush(m);
    }
    members.remove(m);
    if (error != null) {
      m.end.completeExceptionally(error);
    } else {
      m.end.complete(end);
    }
  }
}


