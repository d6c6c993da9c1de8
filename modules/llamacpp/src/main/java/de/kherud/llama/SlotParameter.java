package de.kherud.llama;

/**
 * Sets llama.cpp's {@code id_slot} on a request. java-llama.cpp 4.2.0 passes its parameters to llama.cpp's server
 * code as JSON but has no setter for this one, so this class sits in its package to reach the parameter map. Used
 * by {@code org.memorall.llm.llamacpp.Slots}; revisit when upgrading java-llama.cpp.
 */
public final class SlotParameter {

  private SlotParameter() {
  }

  /** Runs the request in slot {@code slot} (llama.cpp defers it while that slot is busy). */
  public static InferenceParameters set(InferenceParameters parameters, int slot) {
    parameters.parameters.put("id_slot", String.valueOf(slot));
    return parameters;
  }
}
