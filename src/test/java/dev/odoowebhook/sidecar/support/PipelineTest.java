// SPDX-License-Identifier: Apache-2.0
package dev.odoowebhook.sidecar.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of test classes that share one {@link Pipeline} (database, receiver, sidecar on demand):
 * created once per class, emptied before each test, closed after the last.
 */
public abstract class PipelineTest {
  protected static Pipeline p;

  @BeforeAll
  static void startPipeline() {
    p = new Pipeline();
  }

  @AfterAll
  static void closePipeline() {
    p.close();
  }

  @BeforeEach
  void resetPipeline() {
    p.reset();
  }
}
