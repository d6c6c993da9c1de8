package org.memorall.llm.llamacpp;

import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import com.google.auto.service.AutoService;
import org.memorall.llm.api.NodeCommand;
import org.memorall.llm.api.ServeRequest;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line {@code pull <username/repo[/file]> [file] [--revision REV] [--models-dir DIR] [--endpoint URL]}:
 * downloads a model from the Hub into the models directory the way serve does (same folder, resume, checksum,
 * atomic move), with a progress bar on stderr, without a running node. Prints the model's path on stdout.
 * Exit status 0 when the model is in place, 1 otherwise (the reason on stderr).
 */
@AutoService(NodeCommand.class)
public final class PullCommand implements NodeCommand {

  static final String USAGE = "usage: pull <username/repo[/file.gguf]> [file.gguf] [--revision REV] [--models-dir DIR]"
    + " [--endpoint URL]\n  models dir: --models-dir, else MODELS_DIR, else ~/.cache/llm-runtime/models;"
    + " endpoint: --endpoint, else HF_ENDPOINT, else https://huggingface.co; HF_TOKEN is sent when set";

  /** For ServiceLoader: the node runs it as {@code ./run.sh pull ...}. */
  public PullCommand() {
  }

  @Override
  public String name() {
    return "pull";
  }

  /** The node's models directory applies unless {@code --models-dir} is given. */
  @Override
  public int run(String[] args, Path modelsDir) {
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.contains("--models-dir")) {
      all.add("--models-dir");
      all.add(modelsDir.toString());
    }
    return run(all.toArray(new String[0]));
  }

  /** Runs the command ({@code args} may start with "pull"); returns the exit status. */
  public static int run(String[] args) {
    return run(args, System.out, System.err, System.console() != null);
  }

  static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
    List<String> positional = new ArrayList<>();
    String revision = null;
    String modelsDir = null;
    String endpoint = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i == 0 && a.equals("pull")) {
        continue;
      }
      if ((a.equals("--revision") || a.equals("--models-dir") || a.equals("--endpoint")) && i + 1 < args.length) {
        String v = args[++i];
        revision = a.equals("--revision") ? v : revision;
        modelsDir = a.equals("--models-dir") ? v : modelsDir;
        endpoint = a.equals("--endpoint") ? v : endpoint;
      } else if (a.equals("-h") || a.equals("--help")) {
        out.println(USAGE);
        return 0;
      } else if (a.startsWith("--")) {
        err.println("Unknown option " + a + "\n" + USAGE);
        return 1;
      } else {
        positional.add(a);
      }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      err.println(USAGE);
      return 1;
    }
    JsonObject request = new JsonObject().put("repo", positional.get(0));
    if (positional.size() == 2) {
      request.put("file", positional.get(1));
    }
    if (revision != null) {
      request.put("revision", revision);
    }
    ConsoleProgress bar = new ConsoleProgress(err, terminal, 5000);
    try {
      HubRef ref = HubRef.of(new ServeRequest(request));
      Path dir = modelsDir(modelsDir);
      HubClient hub = HubClient.fromSettings(endpoint);
      List<HubFile> parts = GgufChoice.pick(ref, hub.files(ref));
      err.println("Pulling " + ref.id() + " " + parts.get(0).name() + (parts.size() > 1 ? " (" + parts.size()
        + " parts)" : "") + " from " + hub.endpoint() + " into " + ModelFetch.repoDir(dir, ref));
      Path path = ModelFetch.run(hub, ref, parts, dir,
        new ProgressMeter(ref.id(), ModelFetch.totalSize(parts), HubFetcher.PROGRESS_INTERVAL_MS, bar));
      ModelPaths.check(path, "file", dir); // a GGUF file, as serve would require
      bar.finish();
      out.println(path);
      return 0;
    } catch (ServiceException e) {
      bar.finish();
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      bar.finish();
      err.println("error: cannot reach the Hub (" + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the same command resumes what was downloaded");
      return 1;
    } catch (RuntimeException e) {
      bar.finish();
      err.println("error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted");
      return 1;
    }
  }

  /** As the node resolves it (NodeConfig): the option, else MODELS_DIR (system property, environment), else the default. */
  static Path modelsDir(String option) {
    for (String s : new String[] {option, System.getProperty("MODELS_DIR"), System.getenv("MODELS_DIR")}) {
      if (s != null && !s.isBlank()) {
        return Paths.get(s).toAbsolutePath().normalize();
      }
    }
    return Paths.get(System.getProperty("user.home"), ".cache", "llm-runtime", "models");
  }
}
