package org.memorall.llm.registry;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Which known setting an unknown config key was probably meant to be. */
final class ConfigKeys {

  private ConfigKeys() {
  }

  /**
   * Throws IllegalArgumentException for the first of {@code given} not in {@code known}, naming it (after
   * {@code prefix}, e.g. "retry."), the key it probably misspells, and the known ones; {@code where} ends the first
   * clause ("of type 'llamacpp'").
   */
  static void refuseUnknown(Collection<String> given, Set<String> known, String prefix, String where) {
    for (String key : given) {
      if (!known.contains(key)) {
        String meant = closest(key, known);
        throw new IllegalArgumentException("'" + prefix + key + "' is not a setting" + (where.isEmpty() ? "" : " " + where)
          + (meant != null ? " (did you mean '" + meant + "'?)" : "") + "; the settings: " + String.join(", ",
          new TreeSet<>(known)));
      }
    }
  }

  /** The key of {@code known} that {@code key} misspells (same letters in another case, or at most 2 edits), else null. */
  static String closest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = k.toLowerCase(Locale.ROOT).equals(key.toLowerCase(Locale.ROOT)) ? 0 : distance(key, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance: the fewest insertions, deletions and substitutions turning {@code a} into {@code b}. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
