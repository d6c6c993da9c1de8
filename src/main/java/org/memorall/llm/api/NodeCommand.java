package org.memorall.llm.api;

import java.nio.file.Path;

/**
 * A command-line command a module adds to the node ({@code ./run.sh <name> args...}), found through
 * {@link java.util.ServiceLoader}; e.g. {@code pull} of the llamacpp module. It runs instead of a node.
 */
public interface NodeCommand {

  /** The first command-line argument that selects this command. */
  String name();

  /**
   * Runs the command with the arguments after its name and the node's models directory (from the configuration);
   * returns the process exit status.
   */
  int run(String[] args, Path modelsDir);
}
