/**
 * The public API of the LLM runtime: OpenAI-shaped data objects, the {@link org.memorall.llm.api.LlmService}
 * registry (a Vert.x service proxy), the streaming client {@link org.memorall.llm.api.LlmClient}, and the
 * provider contract ({@link org.memorall.llm.api.LlmProvider}, {@link org.memorall.llm.api.ProviderFactory})
 * that every module under {@code modules/} implements. Modules depend on this package only.
 */
@ModuleGen(name = "llm", groupPackage = "org.memorall.llm")
package org.memorall.llm.api;

import io.vertx.codegen.annotations.ModuleGen;
