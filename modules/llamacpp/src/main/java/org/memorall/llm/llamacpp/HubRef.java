package org.memorall.llm.llamacpp;

import org.memorall.llm.api.LlmErrors;
import org.memorall.llm.api.ServeRequest;

import java.util.regex.Pattern;

/**
 * A HuggingFace model a serve request names: {@code {username, repo, file?, revision?}}, or the same as one string
 * {@code "username/repo"} / {@code "username/repo/file"} in {@code repo} or {@code model}. Every part becomes a
 * path segment on disk and in URLs, so anything that could leave its folder is refused here with a 400.
 */
record HubRef(String username, String repo, String file, String revision) {

  static final String DEFAULT_REVISION = "main";
  /** The Hub's own rule for user and repo names, which also rules out "..", "/" and "\". */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
  /** File names and revisions: no separators, no leading dot (so no "..", no hidden files), no control chars. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+=-]{0,199}");

  /** True when the request names a HuggingFace model rather than a {@code path}. */
  static boolean isHubRequest(ServeRequest request) {
    return request.getPath() == null && (request.getRepo() != null || request.toJson().getValue("model") != null);
  }

  /** The model the request names; throws a 400 naming the bad field. */
  static HubRef of(ServeRequest request) {
    String username = request.getUsername();
    String repo = string(request, "repo");
    String param = "repo";
    if (repo == null) {
      repo = string(request, "model");
      param = "model";
    }
    if (repo == null) {
      throw LlmErrors.invalidField("repo", "Pass {\"username\": ..., \"repo\": ...} or {\"repo\": \"username/repo[/file]\"}");
    }
    String file = string(request, "file");
    if (repo.contains("/") || username == null) {
      String[] parts = repo.split("/", -1);
      if (username != null || parts.length < 2) {
        throw LlmErrors.invalidField(param, "'" + param + "' must be \"username/repo\" or \"username/repo/file.gguf\""
          + " (or pass 'username' and 'repo' separately)");
      }
      username = parts[0];
      repo = parts[1];
      if (parts.length > 2) {
        String named = String.join("/", java.util.Arrays.asList(parts).subList(2, parts.length));
        if (file != null && !file.equals(named)) {
          throw LlmErrors.invalidField("file", "'file' and the file in '" + param + "' differ");
        }
        file = named;
      }
    }
    String revision = string(request, "revision");
    check("username", username, NAME);
    check("repo", repo, NAME);
    if (file != null) {
      // Repos may keep files in folders ("Q4_K_M/model-00001-of-00002.gguf"): each folder is checked alone.
      for (String segment : file.split("/", -1)) {
        check("file", segment, SEGMENT);
      }
    }
    if (revision != null) {
      check("revision", revision, SEGMENT);
    }
    return new HubRef(username, repo, file, revision == null ? DEFAULT_REVISION : revision);
  }

  /** {@code username/repo}, as the Hub names it. */
  String id() {
    return username + "/" + repo;
  }

  private static String string(ServeRequest request, String field) {
    Object v = request.toJson().getValue(field);
    if (v != null && !(v instanceof String)) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be a string");
    }
    return v == null || ((String) v).isEmpty() ? null : (String) v;
  }

  private static void check(String field, String value, Pattern pattern) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw LlmErrors.invalidField(field, "'" + field + "' must be a plain name (letters, digits, '.', '_', '-'; no"
        + " path separators, no '..', not absolute): " + (value == null ? "missing" : "'" + value + "'"));
    }
  }
}
