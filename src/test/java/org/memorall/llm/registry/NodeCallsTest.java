package org.memorall.llm.registry;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.Test;
import org.memorall.llm.api.LlmErrors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calls to a node that is gone end at once, with the error given; the others are left alone. */
class NodeCallsTest {

  private final ServiceException left = LlmErrors.of(503, "server_error", null, ClusterRoutes.NODE_LEFT, "gone");

  @Test
  void theCallsToANodeThatIsGoneFailAtOnce() {
    NodeCalls calls = new NodeCalls();
    Promise<String> toB = Promise.promise();
    Promise<String> toC = Promise.promise();
    Future<String> b = calls.track("b", toB.future());
    Future<String> c = calls.track("c", toC.future());

    calls.nodeLeft("b", left);
    assertTrue(b.failed(), "the call to b ended without its reply");
    assertSame(left, b.cause());
    assertFalse(c.isComplete(), "c's call goes on");

    toB.complete("late"); // a late reply is dropped
    assertSame(left, b.cause());
    toC.complete("info");
    assertEquals("info", c.result());
  }

  @Test
  void aCallThatEndedIsNoLongerTracked() {
    NodeCalls calls = new NodeCalls();
    Future<String> done = calls.track("b", Future.succeededFuture("info"));
    Future<String> failed = calls.track("b", Future.failedFuture(new IllegalStateException("no handlers")));
    calls.nodeLeft("b", left);
    assertEquals("info", done.result());
    assertEquals("no handlers", failed.cause().getMessage());
  }
}
